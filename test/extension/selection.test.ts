/**
 * Which runs the Runs view's commands apply to (extension/runs/selection.ts), for every way VS Code
 * calls them, and how the Curves panel's runs change: kept, a single new run added, not swapped in.
 */
import * as assert from 'node:assert/strict';
import { test } from 'node:test';
import { commandRunDirs, nextCurvesRuns } from '../../extension/runs/selection';

/** A Runs view item as the command receives it (extension/runs/tree.ts's RunItem carries `run.dir`). */
const item = (dir: string) => ({ run: { dir } });
const dirOf = (i: unknown): string | undefined => (i && typeof i === 'object' && 'run' in i ? (i as ReturnType<typeof item>).run.dir : typeof i === 'string' ? i : undefined);
const [A, B, C] = ['/ws/experiments/a', '/ws/experiments/b', '/ws/experiments/c'];

test('the title-bar command receives the two-run selection, whatever VS Code passes it', () => {
  const selection = [A, B];
  // The title bar with only the focused run (the case that dropped the selection): the whole selection.
  assert.deepEqual(commandRunDirs(item(B), undefined, selection, dirOf), [A, B]);
  // The title bar with the focused run and the selected ones.
  assert.deepEqual(commandRunDirs(item(B), [item(A), item(B)], selection, dirOf), [A, B]);
  // The palette (nothing passed) with two runs selected.
  assert.deepEqual(commandRunDirs(undefined, undefined, selection, dirOf), [A, B]);
});

test('context menus, clicks and the palette: the runs meant, else the caller asks', () => {
  // A context menu on a selected run of a multi-selection: every selected run.
  assert.deepEqual(commandRunDirs(item(A), [item(A), item(B), item(C)], [A, B, C], dirOf), [A, B, C]);
  // A context menu on a run outside the selection: that run only.
  assert.deepEqual(commandRunDirs(item(C), undefined, [A, B], dirOf), [C]);
  // A click on a row (it becomes the selection): that run.
  assert.deepEqual(commandRunDirs(item(A), undefined, [A], dirOf), [A]);
  // A folder path (a run started or resumed): that run.
  assert.deepEqual(commandRunDirs(C, undefined, [A, B], dirOf), [C]);
  // The palette with one run or none selected: undefined, the caller shows a pick.
  assert.equal(commandRunDirs(undefined, undefined, [A], dirOf), undefined);
  assert.equal(commandRunDirs(undefined, [], [], dirOf), undefined);
  // Something that is not a run (a Uri of another view) is ignored.
  assert.equal(commandRunDirs({ fsPath: A }, undefined, [], dirOf), undefined);
});

test('the Curves panel keeps its runs: a new run is added, several chosen at once replace them', () => {
  // A run started (or a row clicked) while two runs are compared: added, the two kept.
  assert.deepEqual(nextCurvesRuns([A, B], [C]), [A, B, C]);
  // Already shown: nothing changes.
  assert.deepEqual(nextCurvesRuns([A, B], [B]), [A, B]);
  // A multi-selection opened in Curves: those runs.
  assert.deepEqual(nextCurvesRuns([A], [B, C]), [B, C]);
});
