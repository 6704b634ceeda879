/** Thin wrapper over the extension's settings. */
import * as vscode from 'vscode';
import { Setting } from '../ids';

export function getSetting<T>(key: Setting, fallback: T): T {
  return vscode.workspace.getConfiguration(Setting.Section).get<T>(key, fallback);
}

/** Fires `listener` when one of `keys` changes. */
export function onDidChangeSetting(keys: Setting[], listener: () => void): vscode.Disposable {
  return vscode.workspace.onDidChangeConfiguration((e) => {
    if (keys.some((k) => e.affectsConfiguration(`${Setting.Section}.${k}`))) listener();
  });
}
