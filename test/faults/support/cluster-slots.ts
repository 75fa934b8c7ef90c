import type { RedisServer } from '../../harness';

/** CRC16/XMODEM, the hash Redis Cluster uses for key slots. */
function crc16(data: Buffer): number {
  let crc = 0;
  for (const byte of data) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The Cluster slot of a key, hash tags included (as `CLUSTER KEYSLOT` computes it). */
export function keySlot(key: string): number {
  const open = key.indexOf('{');
  if (open >= 0) {
    const close = key.indexOf('}', open + 1);
    if (close > open + 1) key = key.slice(open + 1, close);
  }
  return crc16(Buffer.from(key)) % 16384;
}

/** The slot ranges a master serves, from its own `CLUSTER NODES` line. */
export async function slotsOf(master: RedisServer): Promise<[number, number][]> {
  const mine = (await master.cli('CLUSTER', 'NODES'))
    .split('\n')
    .map((line) => line.trim().split(' '))
    .find((row) => row[2]?.includes('myself'));
  return (mine?.slice(8) ?? [])
    .filter((range) => !range.startsWith('['))
    .map((range) => {
      const [from, to] = range.split('-').map(Number);
      return [from, to ?? from] as [number, number];
    });
}

export function inRanges(slot: number, ranges: readonly [number, number][]): boolean {
  return ranges.some(([from, to]) => slot >= from && slot <= to);
}
