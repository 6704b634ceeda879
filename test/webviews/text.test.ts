/**
 * The Results webview's tables set run names and config values as text, never as HTML (issue 18):
 * rendered with a minimal DOM stand-in that records every element made and refuses innerHTML, a run
 * named `<img src=x onerror=alert(1)>` is one text node of its cell and no `img` element exists.
 * (The browser tier, test/webviews/webviews.cjs, checks the same in chromium.)
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ReferenceRow, ResultRow } from '../../webviews/results/contract';
import { caveatsNote, offTestNote, referenceTable, runsTable } from '../../webviews/results/tables';

class FakeText {
  readonly nodeType = 3;
  constructor(readonly data: string) {}
}

class FakeElement {
  readonly nodeType = 1;
  readonly attributes = new Map<string, string>();
  readonly childNodes: Array<FakeElement | FakeText> = [];
  constructor(readonly tagName: string) {}
  setAttribute(name: string, value: string): void {
    this.attributes.set(name, String(value));
  }
  append(...nodes: Array<FakeElement | FakeText | string>): void {
    for (const n of nodes) this.childNodes.push(typeof n === 'string' ? new FakeText(n) : n);
  }
  addEventListener(): void {}
  set innerHTML(_html: string) {
    throw new Error('a webview table set innerHTML');
  }
  get textContent(): string {
    return this.childNodes.map((c) => (c instanceof FakeText ? c.data : c.textContent)).join('');
  }
}

const created: string[] = [];
(globalThis as unknown as { document: unknown }).document = {
  createElement: (tag: string) => {
    created.push(tag.toLowerCase());
    return new FakeElement(tag.toLowerCase());
  },
};

const HOSTILE = '<img src=x onerror=alert(1)>';

test('a run named <img src=x onerror=alert(1)> shows as text in the Results tables', () => {
  const row: ResultRow = {
    id: 'experiments/x', name: HOSTILE, state: 'completed', model: 'wrn', dataset: '<b>CIFAR10</b>',
    params: { 'train.base_lr': '<script>alert(2)</script>' }, epoch: 1, epochs: 1, trainSeconds: 5, valSet: 'held-out 5', offTest: true, caveats: [],
  } as ResultRow;
  const ref = { table: 'wrn', dataset: 'CIFAR10', model: '<i>WRN</i>', projectError: null, stat: null, paper: '&lt;3', paperError: 3, epochs: 200, overrides: { 'model.wrn.depth': '<u>28</u>' }, matchedBy: [] } as unknown as ReferenceRow;
  const table = runsTable([row], ['train.base_lr'], [ref], { key: 'name', descending: false }, () => undefined) as unknown as FakeElement;
  const refTable = referenceTable([ref]) as unknown as FakeElement;
  assert.deepEqual([...new Set(created)].sort(), ['table', 'tbody', 'td', 'th', 'thead', 'tr']);
  const tr = (table.childNodes[1] as FakeElement).childNodes[0] as FakeElement;
  assert.equal(tr.attributes.get('data-run'), HOSTILE);
  const [nameCell, , , datasetCell, lrCell] = tr.childNodes as FakeElement[];
  assert.deepEqual(nameCell.childNodes, [new FakeText(HOSTILE)]);
  assert.equal(datasetCell.textContent, '<b>CIFAR10</b>');
  assert.equal(lrCell.textContent, '<script>alert(2)</script>');
  const refCells = ((refTable.childNodes[1] as FakeElement).childNodes[0] as FakeElement).childNodes.map((c) => (c as FakeElement).textContent);
  assert.deepEqual([refCells[1], refCells[4], refCells[6]], ['<i>WRN</i>', '&lt;3', 'model.wrn.depth <u>28</u>']);
  // The note under a run validated off the test split names it as text too.
  const [note] = offTestNote([row]) as unknown as FakeElement[];
  assert.equal(note.tagName, 'p');
  assert.deepEqual(note.childNodes.map((c) => c instanceof FakeText), [true]);
  assert.ok(note.textContent.startsWith(`† ${HOSTILE}: validated on images held out`), note.textContent);
  // So does the note of a run that is not like for like with its reference row.
  const [caveats] = caveatsNote([{ ...row, caveats: ['depth <b>8</b>, the reference 20'] }]) as unknown as FakeElement[];
  const line = caveats.childNodes[0] as FakeElement;
  assert.deepEqual([line.tagName, line.childNodes.map((c) => c instanceof FakeText)], ['p', [true]]);
  assert.equal(line.textContent, `‡ ${HOSTILE}: not like for like with its reference row: depth <b>8</b>, the reference 20.`);
});
