/**
 * The import boundary of eslint.config.mjs: the extension and the webviews reach the runtime only
 * through runtime/protocol and runtime/config's index, and runtime/protocol loads no TensorFlow.js.
 * The rule must fire on a deliberate violation (test/lint/fixtures) and pass on the real tree.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../..');
const RULE = 'no-restricted-imports';
const FIXTURE = path.join(__dirname, 'fixtures/extension/runs/boundary_violation.ts');

/** An ESLint of the repository's config that runs only the import rule. */
const eslint = (): ESLint => new ESLint({ cwd: ROOT, ruleFilter: ({ ruleId }) => ruleId === RULE });

/** The import-rule findings of `text` linted as if it were the file `asFile` (relative to the root): [line, message]. */
async function findings(text: string, asFile: string): Promise<Array<[number, string]>> {
  const [result] = await eslint().lintText(text, { filePath: path.join(ROOT, asFile) });
  return result.messages.filter((m) => m.ruleId === RULE).map((m) => [m.line, m.message]);
}

test('boundary: an extension file importing runtime/train, config internals or tfjs is refused; protocol and the config index pass', async () => {
  const text = fs.readFileSync(FIXTURE, 'utf8');
  const lines = text.split('\n');
  const lineOf = (s: string) => lines.findIndex((l) => l.includes(s)) + 1;
  for (const asFile of ['extension/runs/boundary_violation.ts', 'webviews/curves/boundary_violation.ts']) {
    const got = await findings(text, asFile);
    assert.deepEqual(got.map(([line]) => line), [lineOf('runtime/train/trainer'), lineOf('runtime/config/errors'), lineOf('@tensorflow/tfjs-core')], asFile);
    assert.match(got[0][1], /the extension and webviews reach the runtime only through runtime\/protocol and runtime\/config/);
    assert.match(got[2][1], /never imports TensorFlow\.js/);
  }
});

test('boundary: runtime/protocol imports neither TensorFlow.js nor the trainer, models, backends or data', async () => {
  const text = "import * as tf from '@tensorflow/tfjs-core';\nimport { runTraining } from '../train/trainer';\nimport { pidAlive } from '../util/pid';\nimport { ConfigError } from '../config';\nexport const uses = [tf, runTraining, pidAlive, ConfigError];\n";
  const got = await findings(text, 'runtime/protocol/boundary_violation.ts');
  assert.deepEqual(got.map(([line]) => line), [1, 2]);
});

test('boundary: the real extension, webviews and runtime/protocol keep it', async () => {
  const results = await eslint().lintFiles(['extension', 'webviews', 'runtime/protocol']);
  assert.ok(results.length > 20, `linted ${results.length} files`);
  const broken = results.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => `${path.relative(ROOT, r.filePath)}:${m.line}: ${m.message}`));
  assert.deepEqual(broken, []);
});
