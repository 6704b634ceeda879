/**
 * Which runs a command applies to, from the arguments VS Code passed it (pure: no `vscode` import, so
 * tests call it with plain objects). VS Code passes, from the Runs view (canSelectMany):
 * - a row's context menu or inline action: the row's item, then the array of selected items when the
 *   row is part of a multi-selection;
 * - the view's title bar: the focused item, with the selected items after it only in some versions
 *   (Open Results in the title bar once received the focused run alone, issue 15);
 * - a row's click (the tree item's own command): that item;
 * - the palette, a keybinding, the status bar: nothing.
 */

/** How a run's folder is read off an argument (a Runs view item, a folder path); undefined for anything else. */
export type DirOf = (arg: unknown) => string | undefined;

/**
 * The run folders a command applies to: every selected item it was given; else the one item it was
 * given, widened to the view's whole selection when that item is part of a selection of several runs
 * (the title bar passes only the focused item); else, given nothing, the view's selection when it
 * holds several runs. Undefined when that leaves no run or only the view's single selection (the
 * caller then asks, preselecting `selection`).
 */
export function commandRunDirs(item: unknown, items: unknown, selection: readonly string[], dirOf: DirOf): string[] | undefined {
  const given = Array.isArray(items) ? items.flatMap((i) => dirOf(i) ?? []) : [];
  if (given.length) return unique(given);
  const one = item === undefined ? undefined : dirOf(item);
  if (one !== undefined) return selection.length > 1 && selection.includes(one) ? unique(selection) : [one];
  return selection.length > 1 ? unique(selection) : undefined;
}

/**
 * The runs the Curves panel shows next: a single run (a row clicked, a run started or resumed) is added
 * to those shown (the panel keeps its runs until the user changes them); several runs chosen at once
 * (a multi-selection) replace them. (The panel's own "Runs…" picker sets them directly.) Order kept,
 * no duplicates.
 */
export function nextCurvesRuns(shown: readonly string[], chosen: readonly string[]): string[] {
  return unique(chosen.length > 1 ? chosen : [...shown, ...chosen]);
}

const unique = (dirs: readonly string[]): string[] => [...new Set(dirs)];
