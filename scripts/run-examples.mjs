// Runs every examples/*.ts against the built package (import 'scuttlebutt-ts' resolves to dist/
// through the package's own exports) and fails if any exits non-zero or hangs.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const examples = readdirSync(`${root}examples`)
  .filter((f) => f.endsWith('.ts'))
  .sort();
let failed = 0;
for (const file of examples) {
  const started = Date.now();
  const result = spawnSync(process.execPath, ['--import', 'tsx', `examples/${file}`], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  const ok = result.status === 0;
  if (!ok) failed++;
  console.log(`${ok ? 'ok' : 'FAILED'} examples/${file} (${Date.now() - started} ms)`);
  if (!ok) console.log(result.stdout, result.stderr, result.error ?? '');
}
console.log(`${examples.length - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
