import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

type Arg = string | number | Buffer;
type Client = Redis | Cluster;
/** ioredis has Buffer variants of every command at run time; its types omit these two. */
interface BufferEval {
  evalshaBuffer(sha: string, numKeys: number, ...args: Arg[]): Promise<unknown>;
  evalBuffer(lua: string, numKeys: number, ...args: Arg[]): Promise<unknown>;
}

/**
 * A Lua script called by SHA (EVALSHA), falling back to EVAL once when the server does not know
 * it yet (after a restart or on a new Cluster node). It never changes the client it runs on.
 */
export class LuaScript {
  private readonly sha: string;

  constructor(private readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  /** Runs the script and returns its reply with bulk strings as strings. */
  run(client: Redis | Cluster, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    return client
      .evalsha(this.sha, keys.length, ...keys, ...args)
      .catch((error: unknown) =>
        isNoScript(error)
          ? client.eval(this.lua, keys.length, ...keys, ...args)
          : Promise.reject(error),
      );
  }

  /** Runs the script and returns its reply with bulk strings as Buffers. */
  runBuffer(client: Client, keys: readonly string[], args: readonly Arg[]): Promise<unknown> {
    const buffers = client as unknown as BufferEval;
    return buffers
      .evalshaBuffer(this.sha, keys.length, ...keys, ...args)
      .catch((error: unknown) =>
        isNoScript(error)
          ? buffers.evalBuffer(this.lua, keys.length, ...keys, ...args)
          : Promise.reject(error),
      );
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}
