import { execFile } from 'child_process';

export interface RedisCliTarget {
  /** Connection arguments put before the command, e.g. `['-h', '127.0.0.1', '-p', '6379']`. */
  connection: readonly string[];
  password?: string;
}

/**
 * Runs `redis-cli <connection> -e <args>` and resolves with its trimmed stdout. `-e` makes an
 * error reply a non-zero exit, which rejects, as do a timeout and a missing binary.
 */
export function runRedisCli(
  target: RedisCliTarget,
  args: readonly string[],
  timeoutMs = 5000,
): Promise<string> {
  // REDISCLI_AUTH keeps the password off the command line and silences the -a warning.
  const env = target.password ? { ...process.env, REDISCLI_AUTH: target.password } : process.env;
  return new Promise((resolve, reject) => {
    execFile(
      'redis-cli',
      [...target.connection, '-e', ...args],
      { env, timeout: timeoutMs, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        if (error) {
          const output = `${stdout}${stderr}`.trim() || error.message;
          reject(new Error(`redis-cli ${args.join(' ')} failed: ${output}`, { cause: error }));
        } else {
          resolve(stdout.trim());
        }
      },
    );
  });
}

/** Parses `INFO`-style `key:value` lines into a record. */
export function parseInfo(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const at = line.indexOf(':');
    if (at > 0 && !line.startsWith('#')) fields[line.slice(0, at)] = line.slice(at + 1).trim();
  }
  return fields;
}
