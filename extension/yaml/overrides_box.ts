/**
 * The Run overrides box: a quick pick whose text is the overrides typed (`key value ...`) and whose
 * items complete the token being typed (keys, then values); its first item runs, or shows the
 * problem of what is typed. Enter on a suggestion takes it and keeps the box open.
 */
import * as vscode from 'vscode';
import { overrideCompletions, type OverrideItem } from './overrides';

interface Item extends vscode.QuickPickItem {
  readonly suggestion?: OverrideItem;
}

/**
 * Asks for overrides; resolves to the text typed, or undefined when the box is dismissed.
 * @param opts.validate the problem of a text, or undefined when it can run.
 * @param opts.configText the config being run (for the values offered).
 */
export function overridesBox(opts: { title: string; placeholder: string; configText?: string; validate: (typed: string) => string | undefined }): Promise<string | undefined> {
  const qp = vscode.window.createQuickPick<Item>();
  qp.title = opts.title;
  qp.placeholder = opts.placeholder;
  qp.ignoreFocusOut = true;
  let problem: string | undefined;
  const update = (): void => {
    const typed = qp.value;
    problem = opts.validate(typed);
    const run: Item = {
      label: problem ? `$(error) ${problem}` : typed.trim() ? `$(play) Run with ${typed.trim()}` : '$(play) Run without overrides',
      alwaysShow: true,
    };
    const suggestions = overrideCompletions(typed, opts.configText);
    const items: Item[] = [run, ...suggestions.map((s) => ({ label: s.label, description: s.description, detail: s.detail, alwaysShow: true, suggestion: s }))];
    qp.items = items;
    // A token being typed that a suggestion completes: Enter takes the suggestion; else Enter runs.
    const typing = typed !== '' && !/\s$/.test(typed) && suggestions.length > 0 && !suggestions.some((s) => s.exact);
    qp.activeItems = [typing ? items[1] : run];
  };
  return new Promise((resolve) => {
    let done = false;
    const finish = (v: string | undefined): void => {
      if (done) return;
      done = true;
      resolve(v);
      qp.hide();
    };
    qp.onDidChangeValue(update);
    qp.onDidAccept(() => {
      const item = qp.activeItems[0];
      if (item?.suggestion) {
        qp.value = item.suggestion.value;
        update();
      } else if (!problem) finish(qp.value.trim());
    });
    qp.onDidHide(() => {
      finish(undefined);
      qp.dispose();
    });
    update();
    qp.show();
  });
}
