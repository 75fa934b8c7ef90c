/**
 * The order in which `count` contenders take their turns in repetition `rep`: one rotation step
 * every two repetitions, so that none always runs first, and every other repetition reversed, so
 * that each runs right before and right after each of its neighbours alike. A rotation alone keeps
 * the cyclic order: with three or more contenders, B would follow A in all repetitions but one,
 * and whatever a turn leaves behind for the next (garbage, Redis's state, the load generator's
 * sockets) would fall on B every time.
 *
 * @example
 * [0, 1, 2, 3].map((rep) => turnOrder(3, rep)); // [0,1,2] [2,1,0] [1,2,0] [0,2,1]
 */
export function turnOrder(count: number, rep: number): number[] {
  const shift = Math.floor(rep / 2);
  const order = Array.from({ length: count }, (_, i) => (i + shift) % count);
  return rep % 2 === 1 ? order.reverse() : order;
}
