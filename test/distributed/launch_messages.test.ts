/**
 * The launcher's own lines (issue 12 finding 8): the thread count per worker, and advice to
 * --resume only where there is a run folder to resume.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { launchWorkers } from '../../runtime/distributed/launch';
import { tempDir } from '../cli/fixtures';

const dir = tempDir('icl-launch-msg-');
const failing = path.join(dir, 'fail.js');
fs.writeFileSync(failing, 'process.exit(1);\n');

async function launch(outputDir: string): Promise<string[]> {
  const lines: string[] = [];
  const code = await launchWorkers({ nproc: 2, args: [], script: failing, execArgv: [], device: 'cpu', numThreads: 3, outputDir, graceSeconds: 1, log: (l) => lines.push(l) });
  assert.equal(code, 1);
  return lines;
}

it('logs the threads of each worker, and advises --resume only for a folder that holds a run', async () => {
  const never = path.join(dir, 'never-written');
  const lines = await launch(never);
  assert.match(lines[0], /^launching 2 workers on this machine \(ranks 0-1 of 2; CPU, 3 thread\(s\) each, rendezvous /);
  const last = lines[lines.length - 1];
  assert.match(last, /^the run failed: worker rank \d exited with code 1 before its run folder .*never-written was written$/);
  const run = path.join(dir, 'run');
  fs.mkdirSync(run);
  fs.writeFileSync(path.join(run, 'config.yaml'), 'train:\n  seed: 0\n');
  const again = await launch(run);
  assert.match(again[again.length - 1], /; resume it with: npm run train -- --resume .*run --nproc_per_node 2$/);
});
