import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { cursorContext, type CursorContext } from '../../extension/yaml/context';

/** The context at the `|` of a marked text. */
function ctxAt(marked: string): CursorContext {
  const offset = marked.indexOf('|');
  return cursorContext(marked.slice(0, offset) + marked.slice(offset + 1), offset);
}

type Expect = Partial<Record<string, unknown>>;
const key = (section: string, prefix = '', more: Expect = {}): Expect => ({ kind: 'key', section, prefix, ...more });
const value = (path: string, prefix = '', more: Expect = {}): Expect => ({ kind: 'value', path, prefix, ...more });
const NONE: Expect = { kind: 'none' };

/** [marked text, the context's expected fields]. */
const CASES: Array<[string, Expect]> = [
  // Block mappings.
  ['|', key('', '', { start: 0, indent: 0, siblings: [], flow: false })],
  ['dev|', key('', 'dev', { start: 0 })],
  ['device: auto\n|', key('', '', { siblings: ['device'] })],
  ['train:\n  |', key('train', '', { indent: 2 })],
  ['train:\n  opt|', key('train', 'opt', { start: 9, indent: 2, siblings: [] })],
  ['model:\n  wrn:\n    de|', key('model.wrn', 'de', { start: 18, indent: 4 })],
  ['train:\n  batch_size: 64\n  base|', key('train', 'base', { siblings: ['batch_size'] })],
  ['train:\n  batch_size: 64\n  |\n  momentum: 0.9\n', key('train', '', { siblings: ['batch_size', 'momentum'] })],
  ['train:\n  batch_size: 64\n|', key('', '', { siblings: ['train'] })],
  ['train:\n  opt|imizer: sgd\n', key('train', 'opt', { start: 9 })],
  ['train:\n  optimizer: |', value('train.optimizer', '', { start: 20, inList: false, flow: false })],
  ['train:\n  optimizer: ad|', value('train.optimizer', 'ad', { start: 20 })],
  ['train:\n  optimizer: sg|d\n', value('train.optimizer', 'sg')],
  ['model:\n  wrn:\n    depth: |', value('model.wrn.depth')],
  ['model:\n  name: "re|"', value('model.name', 're', { start: 16 })],
  ["model:\n  name: 're|'", value('model.name', 're')],
  // Flow mappings.
  ['model: {name: |', value('model.name', '', { start: 14, flow: true })],
  ['model: {name: re|', value('model.name', 're', { start: 14, flow: true })],
  ['model: {name: wrn, |}', key('model', '', { siblings: ['name'], flow: true, start: 19 })],
  ['model: {|}', key('model', '', { siblings: [], flow: true })],
  ['model: {type: cifar, wrn: {dep|}}', key('model.wrn', 'dep', { flow: true })],
  ['model: {wrn: {depth: |}}', value('model.wrn.depth', '', { flow: true })],
  // Flow and block sequences.
  ['model:\n  resnet_preact:\n    preact_stage: [True, |', value('model.resnet_preact.preact_stage', '', { inList: true, flow: true })],
  ['model:\n  resnet_preact:\n    preact_stage: [True, F|', value('model.resnet_preact.preact_stage', 'F', { inList: true })],
  ['model:\n  resnet_preact:\n    preact_stage: [|]', value('model.resnet_preact.preact_stage', '', { inList: true })],
  ['model:\n  resnet_preact:\n    preact_stage:\n      - true\n      - |', value('model.resnet_preact.preact_stage', '', { inList: true, flow: false })],
  ['scheduler:\n  milestones:\n    - 80\n    - 1|', value('scheduler.milestones', '1', { inList: true })],
  // Anchors, aliases and merge keys.
  ['train: &t\n  opt|', key('train', 'opt', { start: 12 })],
  ['optim:\n  adam:\n    betas: &b [0.9, 0.999]\n  adabound:\n    be|', key('optim.adabound', 'be')],
  ['optim:\n  adam: &a\n    betas: [0.9, 0.999]\n  adabound:\n    <<: *a\n    |', key('optim.adabound', '', { siblings: ['<<'] })],
  ['model:\n  resnet: &r\n    block_type: |', value('model.resnet.block_type')],
  // Comments.
  ['# model: |', NONE],
  ['train:\n  optimizer: sgd # the |', NONE],
  ['# a comment\ntrain:\n  # another\n  opt|', key('train', 'opt')],
  ['train: # the training\n  optimizer: |', value('train.optimizer')],
  // Several documents.
  ['device: cpu\n---\ntrain:\n  optimizer: a|\n', value('train.optimizer', 'a')],
  ['device: cpu\n---\n|', key('', '', { siblings: [] })],
  ['train:\n  opt|\n---\nmodel:\n  name: wrn\n', key('train', 'opt')],
  // Nowhere to complete.
  ['train:\n  optimizer:|', NONE],
  ['train:\n  optimizer: sgd |', NONE],
  ['- a\n- |', NONE],
];

test(`cursor context at ${CASES.length} positions: block, flow, sequences, anchors, comments, documents`, () => {
  assert.ok(CASES.length >= 30);
  for (const [marked, expected] of CASES) {
    const got = ctxAt(marked) as unknown as Record<string, unknown>;
    const picked = Object.fromEntries(Object.keys(expected).map((k) => [k, got[k]]));
    assert.deepEqual(picked, expected, JSON.stringify(marked));
  }
});
