// Runs every test/**/*.test.ts with node's test runner under tsx (Node 20's --test takes no globs).
// Extra arguments are passed to node --test (e.g. --test-name-pattern=resume).
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

const root = path.dirname(path.dirname(new URL(import.meta.url).pathname));
const files = fs
  .readdirSync(path.join(root, 'test'), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.test.ts'))
  .sort()
  .map((f) => path.join('test', f));
const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...process.argv.slice(2), ...files];
const r = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(r.status ?? 1);
