/** Thin wrappers over the VS Code window API: features call these, tests stub them. */
import * as vscode from 'vscode';

/**
 * A notification's text as plain text: VS Code makes `[label](target)` in a message a link (command
 * links included), and messages carry run names and paths, so `](` gets a space (docs/security.md).
 */
export const plainMessage = (message: string): string => message.replace(/\]\(/g, '] (');

export const Toast = {
  info: (message: string, ...items: string[]): Thenable<string | undefined> => vscode.window.showInformationMessage(plainMessage(message), ...items),
  warn: (message: string, ...items: string[]): Thenable<string | undefined> => vscode.window.showWarningMessage(plainMessage(message), ...items),
  error: (message: string, ...items: string[]): Thenable<string | undefined> => vscode.window.showErrorMessage(plainMessage(message), ...items),
};

/** A quick pick of items with a value each; resolves to the chosen value. */
export async function quickPickValue<T>(items: Array<{ label: string; description?: string; detail?: string; value: T }>, placeHolder: string): Promise<T | undefined> {
  const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.value;
}

/** A quick pick of several items with a value each. */
export async function quickPickValues<T>(items: Array<{ label: string; description?: string; picked?: boolean; value: T }>, placeHolder: string): Promise<T[] | undefined> {
  const picked = await vscode.window.showQuickPick(items, { placeHolder, canPickMany: true, matchOnDescription: true });
  return picked?.map((p) => p.value);
}

/** An input box; `validate` returns an error message or undefined. */
export function inputBox(opts: { prompt: string; value?: string; placeHolder?: string; validate?: (v: string) => string | undefined }): Thenable<string | undefined> {
  return vscode.window.showInputBox({ prompt: opts.prompt, value: opts.value, placeHolder: opts.placeHolder, validateInput: opts.validate, ignoreFocusOut: true });
}

/** A save dialog; resolves to the chosen path. */
export async function saveDialog(defaultPath: string, filters: Record<string, string[]>): Promise<string | undefined> {
  const uri = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(defaultPath), filters });
  return uri?.fsPath;
}

/** Sets a context key for `when` clauses. */
export const setContext = (key: string, value: unknown): Thenable<unknown> => vscode.commands.executeCommand('setContext', key, value);
