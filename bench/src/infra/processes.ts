import type { ChildProcess } from 'node:child_process';

// Every process the bench starts is killed when it exits, however it exits.
const children = new Set<ChildProcess>();
let hooked = false;

/** Registers a child so that it is killed when the bench exits. */
export function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  if (!hooked) {
    hooked = true;
    process.once('exit', killAll);
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        killAll();
        process.exit(130);
      });
    }
  }
  return child;
}

function killAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}
