import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { familyNames, validDepths, OPTIMIZERS } from '../../runtime/config/index';
import { configCompletions, requiredKeys } from '../../extension/yaml/completion';
import { nearestDepths } from '../../extension/yaml/depths';
import { configDiagnostics, DiagnosticCode } from '../../extension/yaml/diagnostics';
import { closestAllowed, quickFixes, type QuickFix } from '../../extension/yaml/fixes';
import { configHover } from '../../extension/yaml/hover';
import { configOutline, type OutlineNode } from '../../extension/yaml/outline';
import { overrideCompletions } from '../../extension/yaml/overrides';

function items(marked: string) {
  const offset = marked.indexOf('|');
  return configCompletions(marked.slice(0, offset) + marked.slice(offset + 1), offset);
}
const labels = (marked: string): string[] => items(marked).map((i) => i.label);
const insert = (marked: string, label: string): string | undefined => items(marked).find((i) => i.label === label)?.insertText;

/** Applies a fix's edits (last first). */
function apply(text: string, fix: QuickFix): string {
  return [...fix.edits].sort((a, b) => b.span[0] - a.span[0]).reduce((t, e) => t.slice(0, e.span[0]) + e.newText + t.slice(e.span[1]), text);
}
/** The fixes of the one diagnostic of `code` in `text`. */
function fixesOf(text: string, code: DiagnosticCode): QuickFix[] {
  const d = configDiagnostics(text).filter((x) => x.code === code);
  assert.equal(d.length, 1, JSON.stringify(configDiagnostics(text)));
  return quickFixes(text, d[0]);
}

test('completion in flow maps and flow sequences', () => {
  assert.deepEqual(labels('model: {name: |'), familyNames('cifar'));
  assert.deepEqual(labels('model: {type: imagenet, name: |}'), ['vgg', 'resnet', 'resnet_preact', 'densenet', 'pyramidnet', 'resnext']);
  // The original's configs write Python's True/False: the list's own spelling is offered.
  assert.deepEqual(labels('model:\n  resnet_preact:\n    preact_stage: [True, |'), ['True', 'False']);
  assert.deepEqual(labels('model:\n  resnet_preact:\n    preact_stage:\n      - true\n      - |'), ['true', 'false']);
  assert.deepEqual(labels('model: {name: wrn, wrn: {depth: |}}'), validDepths('wrn', undefined, 300).map(String));
  const keys = labels('model: {name: wrn, |}');
  assert.ok(keys.includes('type') && keys.includes('wrn') && !keys.includes('name'));
});

test('completion under anchors, in a second document, and not in comments', () => {
  assert.deepEqual(labels('optim:\n  adam: &a\n    betas: [0.9, 0.99]\n  adabound:\n    <<: *a\n    |'), ['betas', 'final_lr', 'gamma']);
  assert.deepEqual(labels('device: cpu\n---\ntrain:\n  optimizer: |\n'), [...OPTIMIZERS]);
  assert.deepEqual(labels('train:\n  optimizer: sgd  # |'), []);
});

test('a key inserts its default value as a snippet; enumerations and depths as a choice', () => {
  assert.equal(insert('train:\n  grad|', 'gradient_clip'), 'gradient_clip: ${1:0.0}');
  assert.equal(insert('train:\n  |', 'optimizer'), 'optimizer: ${1|sgd,adam,amsgrad,adabound,adaboundw,lars|}');
  assert.equal(insert('train:\n  |', 'nesterov'), 'nesterov: ${1|true,false|}');
  assert.equal(insert('train:\n  |', 'output_dir'), 'output_dir: ${1:experiments/exp00}');
  assert.equal(insert('model:\n  wrn:\n    |', 'depth'), 'depth: ${1|28,10,16,22,34,40|}');
  assert.equal(insert('scheduler:\n  |', 'milestones'), 'milestones: ${1:[80, 120]}');
  assert.equal(insert('model:\n  resnet_preact:\n    |', 'preact_stage'), 'preact_stage: ${1:[true, true, true]}');
  // Items for a list, not for a scalar: no `True` alone after `preact_stage: `, no optimizer inside a list.
  assert.deepEqual(labels('model:\n  resnet_preact:\n    preact_stage: |'), []);
  assert.deepEqual(labels('train:\n  optimizer: [|]'), []);
});

test('a section key expands to its required keys, in block and flow style', () => {
  assert.deepEqual(requiredKeys('model'), ['type', 'name']);
  assert.deepEqual(requiredKeys('model.resnet'), ['block_type', 'depth']);
  assert.deepEqual(requiredKeys('augmentation.cutmix'), ['alpha']);
  assert.equal(insert('|', 'model'), 'model:\n  type: ${1|cifar,imagenet|}\n  name: ${2|resnet_preact,vgg,resnet,wrn,densenet,pyramidnet,resnext,shake_shake,se_resnet_preact|}');
  assert.equal(insert('model:\n  |', 'wrn'), 'wrn:\n    depth: ${1|28,10,16,22,34,40|}');
  assert.equal(insert('augmentation: {|}', 'mixup'), 'mixup: {alpha: ${1:1.0}}');
  assert.equal(insert('augmentation:\n  mixup:\n    alpha: 1.0\n  |', 'random_crop'), 'random_crop:\n    padding: ${1:4}\n    fill: ${2:0}\n    padding_mode: ${3|constant,edge,reflect,symmetric|}');
  const dl = items('train:\n  |').find((i) => i.label === 'dataloader');
  assert.equal(dl?.insertText, 'dataloader:\n    $0');
});

test('quick fix: a value not allowed becomes the closest allowed one', () => {
  const text = 'train:\n  optimizer: sgdd\n';
  const fixes = fixesOf(text, DiagnosticCode.NotAllowed);
  assert.deepEqual(fixes.map((f) => [f.title, f.preferred]), [["Change to 'sgd'", true]]);
  assert.equal(apply(text, fixes[0]), 'train:\n  optimizer: sgd\n');
  assert.deepEqual(configDiagnostics(apply(text, fixes[0])), []);
  // An empty value is reported on the key, which is not replaced.
  assert.deepEqual(fixesOf('model:\n  name:\n', DiagnosticCode.NotAllowed), []);
  assert.deepEqual(closestAllowed('cifar10', ['CIFAR10', 'CIFAR100', 'MNIST']), ['CIFAR10', 'CIFAR100']);
  assert.deepEqual(closestAllowed('xyzzy', ['sgd', 'adam']), []);
});

test('quick fix: a depth that does not fit becomes the nearest depths that do', () => {
  assert.deepEqual(nearestDepths('wrn', undefined, 21), [22, 16]);
  assert.deepEqual(nearestDepths('resnet', 'bottleneck', 40), [38, 47]);
  assert.deepEqual(nearestDepths('wrn', undefined, 28), []);
  assert.deepEqual(nearestDepths('vgg', undefined, 11), []);
  const text = 'model:\n  name: wrn\n  wrn:\n    depth: 21\n';
  const fixes = fixesOf(text, DiagnosticCode.Check);
  assert.deepEqual(fixes.map((f) => [f.title, f.preferred]), [['Change depth to 22', true], ['Change depth to 16', false]]);
  assert.deepEqual(configDiagnostics(apply(text, fixes[0])), []);
  assert.deepEqual(configDiagnostics(apply(text, fixes[1])), []);
  // The block type of the file decides the rule; flow style too.
  const flow = 'model: {name: resnet, resnet: {block_type: bottleneck, depth: 44}}\n';
  assert.deepEqual(fixesOf(flow, DiagnosticCode.Check).map((f) => f.edits[0].newText), ['47', '38']);
});

test('quick fix: a wrong type converted where nothing is lost', () => {
  const cases: Array<[string, string | undefined]> = [
    ['train:\n  batch_size: 64.0\n', 'train:\n  batch_size: 64\n'],
    ["train:\n  batch_size: '64'\n", 'train:\n  batch_size: 64\n'],
    ['train:\n  nesterov: yes\n', 'train:\n  nesterov: true\n'],
    ['train:\n  nesterov: "False"\n', 'train:\n  nesterov: false\n'],
    ['scheduler:\n  milestones: 80\n', 'scheduler:\n  milestones: [80]\n'],
    ['scheduler:\n  milestones: [60.0, 120]\n', 'scheduler:\n  milestones: [60, 120]\n'],
    ['train:\n  base_lr: "0.1"\n', 'train:\n  base_lr: 0.1\n'],
    ['train:\n  batch_size: 64.5\n', undefined],
    ['train:\n  nesterov: maybe\n', undefined],
    // One float is not the two betas: no fix.
    ['optim:\n  adam:\n    betas: 0.9\n', undefined],
  ];
  for (const [text, fixed] of cases) {
    const fixes = fixesOf(text, DiagnosticCode.WrongType);
    assert.equal(fixes[0] && apply(text, fixes[0]), fixed, text);
    if (fixed) assert.deepEqual(configDiagnostics(fixed), [], fixed);
  }
});

test('quick fix: two batch-mixing methods on, keep one', () => {
  const text = 'augmentation:\n  use_mixup: true\n  use_ricap: false\n  use_cutmix: true\n';
  const fixes = fixesOf(text, DiagnosticCode.BatchMixing);
  assert.deepEqual(fixes.map((f) => [f.title, f.preferred]), [['Keep only use_mixup (turn off use_cutmix)', true], ['Keep only use_cutmix (turn off use_mixup)', false]]);
  assert.equal(apply(text, fixes[1]), 'augmentation:\n  use_mixup: false\n  use_ricap: false\n  use_cutmix: true\n');
  assert.deepEqual(configDiagnostics(apply(text, fixes[0])), []);
  const three = 'augmentation: {use_mixup: true, use_ricap: true, use_cutmix: true}\n';
  assert.equal(apply(three, fixesOf(three, DiagnosticCode.BatchMixing)[1]), 'augmentation: {use_mixup: false, use_ricap: true, use_cutmix: false}\n');
});

test('diagnostics and hover: flow style, merge keys, several documents', () => {
  assert.deepEqual(configDiagnostics('model: {name: wrn, wrn: {depth: 28}}\noptim:\n  adam: &a\n    betas: [0.9, 0.99]\n  adabound:\n    <<: *a\n'), []);
  // A merged value is checked where the runtime reads it.
  const mergedText = 'model:\n  name: wrn\n  resnet: &r\n    depth: 110\n    block_type: basic\n  wrn:\n    <<: *r\n';
  const merged = configDiagnostics(mergedText);
  assert.deepEqual(merged.map((x) => [x.code, mergedText.slice(...x.span)]), [[DiagnosticCode.UnknownKey, 'block_type'], [DiagnosticCode.Check, '110']]);
  assert.match(merged[1].message, /^model\.wrn\.depth: 110 does not fit wrn/);
  // Changing the anchored value would change model.resnet too: no quick fix there.
  assert.deepEqual(quickFixes(mergedText, merged[1]), []);
  const two = 'train:\n  optimizer: sgd\n---\ntrain:\n  optimizer: sdg\n';
  const d = configDiagnostics(two);
  assert.deepEqual(d.map((x) => x.code), [DiagnosticCode.NotAllowed, DiagnosticCode.MultipleDocuments]);
  assert.equal(two.slice(...d[0].span), 'sdg');
  assert.equal(two.slice(...d[1].span), '---');
  const flow = 'model: {name: wrn, wrn: {depth: 28}}\n';
  assert.match(configHover(flow, flow.indexOf('depth') + 1)?.markdown ?? '', /^\*\*model\.wrn\.depth\*\*: `int`/);
  assert.match(configHover(flow, flow.indexOf('wrn,') + 1)?.markdown ?? '', /^\*\*model\.name\*\*/);
  const h = configHover(two, two.lastIndexOf('optimizer') + 1);
  assert.equal(h && two.slice(...h.span), 'optimizer');
  assert.equal(h?.span[0], two.lastIndexOf('optimizer'));
});

test('outline: sections, keys with values, unknown keys, documents', () => {
  const brief = (n: OutlineNode): unknown => [n.name, n.kind, n.detail, n.children.map(brief)];
  const text = 'model:\n  name: wrn\n  wrn: {depth: 28}\nbogus: 1\n';
  const o = configOutline(text);
  assert.deepEqual(o.map(brief), [
    ['model', 'section', 'Network architecture', [['name', 'key', 'wrn', []], ['wrn', 'section', 'Wide ResNet', [['depth', 'key', '28', []]]]]],
    ['bogus', 'unknown', '1', []],
  ]);
  assert.equal(text.slice(...o[0].span), 'model:\n  name: wrn\n  wrn: {depth: 28}');
  assert.equal(text.slice(...o[0].children[1].selection), 'wrn');
  const docs = configOutline('device: cpu\n---\ndevice: wasm\n');
  assert.deepEqual(docs.map((n) => [n.name, n.kind, n.children.map((c) => c.detail)]), [['document 1', 'document', ['cpu']], ['document 2', 'document', ['wasm']]]);
});

test('Run overrides box: completes keys, then values', () => {
  const labelsOf = (typed: string, config?: string): string[] => overrideCompletions(typed, config).map((i) => i.label);
  assert.ok(labelsOf('').includes('train.optimizer'));
  assert.equal(labelsOf('train.opt')[0], 'train.optimizer');
  assert.equal(overrideCompletions('train.opt')[0].value, 'train.optimizer ');
  assert.deepEqual(labelsOf('train.optimizer '), [...OPTIMIZERS]);
  assert.deepEqual(labelsOf('train.optimizer ad'), ['adam', 'adabound', 'adaboundw']);
  assert.equal(overrideCompletions('scheduler.epochs 2 train.optimizer ad')[0].value, 'scheduler.epochs 2 train.optimizer adam ');
  assert.ok(!labelsOf('train.optimizer adam ').includes('train.optimizer'));
  assert.deepEqual(labelsOf('augmentation.use_mixup '), ['true', 'false']);
  assert.deepEqual(labelsOf('model.wrn.depth ', 'model:\n  name: wrn\n'), validDepths('wrn', undefined, 300).map(String));
  assert.deepEqual(labelsOf('scheduler.epochs '), []);
  assert.deepEqual(labelsOf('bogus.key '), []);
  assert.equal(overrideCompletions('device cpu')[0].exact, true);
});
