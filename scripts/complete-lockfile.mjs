// Adds lock entries for optional platform packages the registry here does not serve.
//
// The npm registry reachable from this project's machines answers 404 for the platform builds of
// other systems (e.g. @msgpackr-extract/msgpackr-extract-darwin-arm64), so `npm install` leaves
// them out of package-lock.json and `npm ci` then refuses the lock ("Missing: ... from lock file").
// This records each missing optional package with the os/cpu its name declares, so `npm ci` skips
// it as foreign to this platform instead of fetching it. Run after `npm install`:
//   node scripts/complete-lockfile.mjs [path/to/package-lock.json ...]
import { readFileSync, writeFileSync } from 'node:fs';

const OS = ['darwin', 'win32', 'linux', 'android', 'freebsd', 'openbsd', 'netbsd', 'sunos', 'aix', 'openharmony'];
const CPU = ['arm64', 'x64', 'ia32', 'arm', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32'];

function platformOf(name) {
  const parts = name.split('/').pop().split('-');
  const os = parts.find((part) => OS.includes(part));
  const cpu = parts.find((part) => CPU.includes(part));
  const libc = parts.some((part) => part.startsWith('musl')) ? 'musl' : parts.some((part) => part.startsWith('gnu')) ? 'glibc' : undefined;
  return { os, cpu, libc };
}

for (const file of process.argv.slice(2).length ? process.argv.slice(2) : ['package-lock.json']) {
  const lock = JSON.parse(readFileSync(file, 'utf8'));
  const added = [];
  for (const [path, entry] of Object.entries(lock.packages)) {
    for (const [name, version] of Object.entries(entry.optionalDependencies ?? {})) {
      const nested = `${path ? `${path}/` : ''}node_modules/${name}`;
      if (lock.packages[nested] || lock.packages[`node_modules/${name}`]) continue;
      const { os, cpu, libc } = platformOf(name);
      if (!os || !cpu || (os === process.platform && cpu === process.arch)) {
        throw new Error(`${file}: ${name} is missing and is not a foreign platform build; run npm install again`);
      }
      lock.packages[`node_modules/${name}`] = {
        version,
        optional: true,
        os: [os],
        cpu: [cpu],
        ...(libc ? { libc: [libc] } : {}),
      };
      added.push(name);
    }
  }
  lock.packages = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  writeFileSync(file, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`${file}: ${added.length ? `added ${added.join(', ')}` : 'complete'}`);
}
