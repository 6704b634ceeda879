import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { CONFIG_TREE, DATASET_NAMES, OPTIMIZERS } from '../../runtime/config/index';
import { configCompletions } from '../../extension/yaml/completion';
import { DiagnosticCode, configDiagnostics } from '../../extension/yaml/diagnostics';
import { lineCharOf, offsetOf, parseConfigDocument, entryAt } from '../../extension/yaml/document';
import { configHover } from '../../extension/yaml/hover';

/** Text with a `|` cursor marker -> text and offset. */
function at(marked: string): { text: string; offset: number } {
  const offset = marked.indexOf('|');
  return { text: marked.slice(0, offset) + marked.slice(offset + 1), offset };
}
const labels = (marked: string): string[] => {
  const { text, offset } = at(marked);
  return configCompletions(text, offset).map((i) => i.label);
};
/** Diagnostics as `line:char-line:char code message` strings. */
function diags(text: string): Array<{ range: string; code: string; severity: string; message: string }> {
  return configDiagnostics(text).map((d) => {
    const a = lineCharOf(text, d.span[0]);
    const b = lineCharOf(text, d.span[1]);
    return { range: `${a.line}:${a.character}-${b.line}:${b.character}`, code: d.code, severity: d.severity, message: d.message };
  });
}

test('every config of the repository is clean', () => {
  const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
  const files = walk('configs').filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 29);
  for (const f of files) assert.deepEqual(configDiagnostics(fs.readFileSync(f, 'utf8')), [], f);
});

test('document: paths and spans of nested keys', () => {
  const text = 'model:\n  wrn:\n    depth: 28\n';
  const cd = parseConfigDocument(text);
  assert.deepEqual(cd.entries.map((e) => e.path), ['model', 'model.wrn', 'model.wrn.depth']);
  const depth = cd.entries[2];
  assert.equal(text.slice(...depth.keySpan), 'depth');
  assert.equal(text.slice(...(depth.valueSpan as [number, number])), '28');
  assert.equal(entryAt(cd, text.indexOf('28') + 1)?.part, 'value');
  assert.equal(offsetOf(text, 2, 4), text.indexOf('depth'));
});

test('completion: top-level keys, without those already set', () => {
  const top = labels('device: auto\n|');
  assert.equal(top[0], 'num_threads');
  assert.ok(!top.includes('device'));
  assert.deepEqual(top, Object.keys(CONFIG_TREE.children).filter((k) => k !== 'device'));
  assert.ok(['dataset', 'model', 'train', 'scheduler', 'augmentation'].every((k) => top.includes(k)));
});

test('completion: keys at every level, with insert text, detail and docs', () => {
  assert.deepEqual(labels('scheduler:\n  warmup:\n    |'), ['type', 'epochs', 'start_factor', 'exponent']);
  assert.ok(labels('train:\n  dist:\n    |').includes('use_sync_bn'));
  const { text, offset } = at('train:\n  batch_size: 64\n  base|');
  const items = configCompletions(text, offset);
  assert.ok(!items.some((i) => i.label === 'batch_size'));
  const lr = items.find((i) => i.label === 'base_lr');
  assert.ok(lr);
  assert.equal(lr.insertText, 'base_lr: ${1:0.1}');
  assert.equal(lr.snippet, true);
  assert.equal(lr.start, offset - 4);
  assert.equal(lr.detail, 'float = 0.1');
  assert.match(lr.documentation, /Base learning rate/);
  // A section without keys to decide opens an empty mapping and asks for its keys.
  const dl = items.find((i) => i.label === 'dataloader');
  assert.equal(dl?.insertText, 'dataloader:\n    $0');
  assert.equal(dl?.retrigger, true);
});

test('completion: enumerated values, booleans and fitting depths', () => {
  assert.deepEqual(labels('train:\n  optimizer: |'), [...OPTIMIZERS]);
  assert.ok(labels('train:\n  optimizer: |').includes('adam'));
  assert.deepEqual(labels('augmentation:\n  use_mixup: t|'), ['true', 'false']);
  assert.deepEqual(labels('dataset:\n  name: |'), [...DATASET_NAMES]);
  assert.ok(labels('dataset:\n  name: |').includes('FashionMNIST'));
  assert.deepEqual(labels('model:\n  type: imagenet\n  name: |'), ['vgg', 'resnet', 'resnet_preact', 'densenet', 'pyramidnet', 'resnext']);
  // Every depth that fits, up to 300 (none skipped).
  assert.deepEqual(labels('model:\n  wrn:\n    depth: |'), Array.from({ length: 49 }, (_, i) => String(6 * i + 10)));
  assert.deepEqual(labels('model:\n  resnet:\n    block_type: bottleneck\n    depth: |'), Array.from({ length: 33 }, (_, i) => String(9 * i + 11)));
  const { text, offset } = at('train:\n  optimizer: |');
  assert.equal(configCompletions(text, offset).find((i) => i.preselect)?.label, 'sgd');
  assert.deepEqual(labels('train:\n  batch_size: |'), []);
});

test('hover: type, default, allowed values, description and arXiv link', () => {
  const text = 'train:\n  optimizer: sgd\naugmentation:\n  use_cutmix: true\n';
  const h = configHover(text, text.indexOf('optimizer') + 2);
  assert.ok(h);
  assert.equal(text.slice(...h.span), 'optimizer');
  assert.equal(h.markdown, '**train.optimizer**: `str`\n\nOptimizer.\n\nDefault: `sgd` (str).\n\nAllowed: `sgd`, `adam`, `amsgrad`, `adabound`, `adaboundw`, `lars`.');
  const c = configHover(text, text.indexOf('true') + 1);
  assert.ok(c);
  assert.equal(text.slice(...c.span), 'true');
  assert.match(c.markdown, /^\*\*augmentation\.use_cutmix\*\*: `bool`/);
  assert.match(c.markdown, /\[arXiv:1905\.04899\]\(https:\/\/arxiv\.org\/abs\/1905\.04899\)/);
  const s = configHover(text, 2);
  assert.match(s?.markdown ?? '', /^\*\*train\*\* \(section\)\n\nTraining\./);
  assert.equal(configHover('foo: 1\n', 1), undefined);
});

test('diagnostics: unknown key with quick-fix replacements', () => {
  const d = configDiagnostics('model:\n  wrn:\n    dept: 28\n    bogus:\n      x: 1\n');
  assert.equal(d.length, 2);
  assert.equal(d[0].code, DiagnosticCode.UnknownKey);
  assert.equal(d[0].message, "unknown key 'model.wrn.dept' (did you mean model.wrn.depth?)");
  assert.deepEqual(d[0].replacements, ['depth']);
  assert.deepEqual(diags('model:\n  wrn:\n    dept: 28\n')[0].range, '2:4-2:8');
  // Nothing is reported under an unknown key.
  assert.equal(d[1].message, "unknown key 'model.wrn.bogus'");
  // A key that lives elsewhere is named, but cannot be renamed in place.
  const e = configDiagnostics('train:\n  epochs: 10\n');
  assert.match(e[0].message, /did you mean scheduler\.epochs or scheduler\.warmup\.epochs\?/);
  assert.deepEqual(e[0].replacements, []);
});

test('diagnostics: wrong type, value not allowed, out of range, with value ranges', () => {
  const text = 'train:\n  batch_size: 1.5\n  optimizer: sdg\n  base_lr: -1\nscheduler:\n  milestones: 80\n';
  assert.deepEqual(diags(text), [
    { range: '1:14-1:17', code: 'wrong-type', severity: 'error', message: 'train.batch_size: expected an int, got a float 1.5' },
    { range: '2:13-2:16', code: 'not-allowed', severity: 'error', message: "train.optimizer: 'sdg' is not allowed (allowed: sgd, adam, amsgrad, adabound, adaboundw, lars)" },
    { range: '3:11-3:13', code: 'out-of-range', severity: 'error', message: 'train.base_lr: must be >= 0, got -1' },
    { range: '5:14-5:16', code: 'wrong-type', severity: 'error', message: 'scheduler.milestones: expected a list of ints, got an int 80' },
  ]);
  assert.equal(diags('train:\n  nesterov: yes\n')[0].message, "train.nesterov: expected a bool (true or false), got a string 'yes'");
  assert.equal(diags('train: 3\n')[0].code, 'section-value');
  assert.equal(diags('train:\n  batch_size:\n    a: 1\n')[0].code, 'leaf-mapping');
});

test('diagnostics: depth that does not fit the block rule, on the depth value', () => {
  const text = 'model:\n  name: wrn\n  wrn:\n    depth: 24\n';
  assert.deepEqual(diags(text), [{ range: '3:11-3:13', code: 'config-check', severity: 'error', message: 'model.wrn.depth: 24 does not fit wrn: depth = 6n+4 (n >= 1 blocks per stage), i.e. 10, 16, 22, 28, 34, 40, ... in steps of 6; nearest 22 or 28' }]);
  // The rule follows the block type, and a depth for a model that is not selected is not checked.
  assert.deepEqual(diags('model:\n  name: resnet\n  resnet:\n    block_type: bottleneck\n    depth: 110\n'), []);
  assert.equal(diags('model:\n  name: resnet\n  resnet:\n    block_type: bottleneck\n    depth: 44\n')[0]?.code, 'config-check');
  assert.deepEqual(diags('model:\n  name: resnet\n  wrn:\n    depth: 24\n'), []);
  // Several cross-key problems are all reported.
  const two = diags('model:\n  name: wrn\n  wrn:\n    depth: 24\ntrain:\n  batch_size: 10\n  subdivision: 3\n');
  assert.deepEqual(two.map((d) => d.range), ['3:11-3:13', '6:15-6:16']);
});

test('diagnostics: conflicting batch-mixing methods are a warning on the later key', () => {
  const text = 'augmentation:\n  use_mixup: true\n  use_cutmix: true\n';
  assert.deepEqual(diags(text), [{
    range: '2:14-2:18', code: 'batch-mixing', severity: 'warning',
    message: 'augmentation: use_mixup and use_cutmix are on; only one batch-mixing method runs (priority mixup > ricap > cutmix): mixup',
  }]);
});

test('diagnostics: YAML syntax errors and a non-mapping top level', () => {
  const s = configDiagnostics('train:\n  batch_size: [1, 2\n');
  assert.equal(s[0].code, DiagnosticCode.Syntax);
  assert.equal(configDiagnostics('- a\n')[0].code, DiagnosticCode.NotAMapping);
  assert.deepEqual(configDiagnostics(''), []);
  assert.deepEqual(configDiagnostics('# only a comment\n'), []);
});
