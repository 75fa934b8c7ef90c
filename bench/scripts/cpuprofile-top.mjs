// Summarises a .cpuprofile (from node --cpu-prof): the functions with the most self time, and,
// for each pattern given after the file, the share of samples whose stack passes through a
// function or file matching it (its inclusive time).
//
//   node scripts/cpuprofile-top.mjs app.cpuprofile 25 canActivate rate-limit/
import { readFileSync } from 'node:fs';

const [file, count = '25', ...patterns] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes)
  for (const child of node.children ?? []) parent.set(child, node.id);
const label = ({ callFrame }) => {
  const where = callFrame.url ? callFrame.url.replace(/^.*\/(node_modules|build)\//, '$1/') : '';
  return `${callFrame.functionName || '(anonymous)'} ${where}:${callFrame.lineNumber + 1}`;
};
const self = new Map();
const inclusive = new Map(patterns.map((p) => [p, 0]));
for (const id of profile.samples) {
  const name = label(byId.get(id));
  self.set(name, (self.get(name) ?? 0) + 1);
  const stack = [];
  for (let at = id; at !== undefined; at = parent.get(at)) stack.push(label(byId.get(at)));
  for (const p of patterns)
    if (stack.some((frame) => frame.includes(p))) inclusive.set(p, inclusive.get(p) + 1);
}
const total = profile.samples.length;
const pct = (n) => `${((n / total) * 100).toFixed(1).padStart(5)}%`;
console.log('self time:');
for (const [name, n] of [...self].sort((a, b) => b[1] - a[1]).slice(0, Number(count)))
  console.log(`${pct(n)}  ${name}`);
if (patterns.length) console.log('inclusive time:');
for (const [p, n] of inclusive) console.log(`${pct(n)}  ${p}`);
