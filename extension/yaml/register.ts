/**
 * The vscode layer of the config IntelliSense: completion, hover, diagnostics and the unknown-key quick
 * fix for YAML files under configs/ and those the `imageClassificationLab.configFiles` globs name.
 * All logic is in the pure modules beside this file.
 */
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, Setting } from '../ids';
import { DisposableObject } from '../util/disposable';
import { getSetting, onDidChangeSetting } from '../vscode/config';
import { ItemKind, configCompletions } from './completion';
import { DiagnosticCode, configDiagnostics, type ConfigDiagnostic } from './diagnostics';
import { configHover } from './hover';

export const DEFAULT_CONFIG_GLOBS = ['**/configs/**/*.yaml', '**/configs/**/*.yml'];

const SEVERITY: Record<ConfigDiagnostic['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

const KIND: Record<ItemKind, vscode.CompletionItemKind> = {
  [ItemKind.Section]: vscode.CompletionItemKind.Module,
  [ItemKind.Key]: vscode.CompletionItemKind.Property,
  [ItemKind.Value]: vscode.CompletionItemKind.EnumMember,
};

const range = (doc: vscode.TextDocument, span: readonly [number, number]): vscode.Range => new vscode.Range(doc.positionAt(span[0]), doc.positionAt(span[1]));

export class ConfigIntelliSense extends DisposableObject {
  private readonly collection = this.disposer.track(vscode.languages.createDiagnosticCollection('imageClassificationLab'));
  private providers: vscode.Disposable[] = [];
  private selector: vscode.DocumentFilter[] = [];
  private readonly pending = new Map<string, NodeJS.Timeout>();

  constructor() {
    super();
    this.register();
    this.disposer.track(onDidChangeSetting([Setting.ConfigGlobs], () => this.register()));
    this.disposer.track(vscode.workspace.onDidOpenTextDocument((d) => this.refresh(d)));
    this.disposer.track(vscode.workspace.onDidChangeTextDocument((e) => this.schedule(e.document)));
    this.disposer.track(vscode.workspace.onDidCloseTextDocument((d) => this.collection.delete(d.uri)));
    this.disposer.track({ dispose: () => this.providers.forEach((p) => p.dispose()) });
    this.disposer.track({ dispose: () => this.pending.forEach((t) => clearTimeout(t)) });
  }

  /** Whether a document gets the config IntelliSense. */
  matches(doc: vscode.TextDocument): boolean {
    return vscode.languages.match(this.selector, doc) > 0;
  }

  private register(): void {
    this.providers.forEach((p) => p.dispose());
    const globs = getSetting<string[]>(Setting.ConfigGlobs, DEFAULT_CONFIG_GLOBS);
    this.selector = globs.map((pattern) => ({ language: 'yaml', pattern }));
    this.providers = [
      vscode.languages.registerCompletionItemProvider(this.selector, { provideCompletionItems: (d, p) => this.complete(d, p) }, ':', ' '),
      vscode.languages.registerHoverProvider(this.selector, { provideHover: (d, p) => this.hover(d, p) }),
      vscode.languages.registerCodeActionsProvider(this.selector, { provideCodeActions: (d, _r, c) => this.codeActions(d, c) }, { providedCodeActionKinds: [vscode.CodeActionKind.QuickFix] }),
    ];
    this.collection.clear();
    vscode.workspace.textDocuments.forEach((d) => this.refresh(d));
  }

  private complete(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
    const offset = doc.offsetAt(pos);
    return configCompletions(doc.getText(), offset).map((e) => {
      const item = new vscode.CompletionItem(e.label, KIND[e.kind]);
      item.insertText = e.snippet ? new vscode.SnippetString(e.insertText) : e.insertText;
      item.range = new vscode.Range(doc.positionAt(e.start), pos);
      item.detail = e.detail;
      item.documentation = new vscode.MarkdownString(e.documentation);
      item.sortText = e.sortText;
      item.preselect = e.preselect;
      if (e.retrigger) item.command = { command: 'editor.action.triggerSuggest', title: 'suggest' };
      return item;
    });
  }

  private hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
    const h = configHover(doc.getText(), doc.offsetAt(pos));
    return h && new vscode.Hover(new vscode.MarkdownString(h.markdown), range(doc, h.span));
  }

  private codeActions(doc: vscode.TextDocument, ctx: vscode.CodeActionContext): vscode.CodeAction[] {
    const actions: vscode.CodeAction[] = [];
    // Diagnostics come back from the editor as plain data: find the replacements again by range.
    const unknown = configDiagnostics(doc.getText()).filter((c) => c.code === DiagnosticCode.UnknownKey);
    for (const d of ctx.diagnostics) {
      if (d.source !== DIAGNOSTIC_SOURCE || d.code !== DiagnosticCode.UnknownKey) continue;
      const c = unknown.find((u) => range(doc, u.span).isEqual(d.range));
      for (const name of c?.replacements ?? []) {
        const action = new vscode.CodeAction(`Change to '${name}'`, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        action.edit.replace(doc.uri, d.range, name);
        action.diagnostics = [d];
        action.isPreferred = true;
        actions.push(action);
      }
    }
    return actions;
  }

  private schedule(doc: vscode.TextDocument): void {
    const key = doc.uri.toString();
    clearTimeout(this.pending.get(key));
    this.pending.set(key, setTimeout(() => { this.pending.delete(key); this.refresh(doc); }, 200));
  }

  /** Recomputes the diagnostics of a document. */
  refresh(doc: vscode.TextDocument): void {
    if (!this.matches(doc)) return;
    const diags = configDiagnostics(doc.getText()).map((c) => {
      const d = new vscode.Diagnostic(range(doc, c.span), c.message, SEVERITY[c.severity]);
      d.source = DIAGNOSTIC_SOURCE;
      d.code = c.code;
      return d;
    });
    this.collection.set(doc.uri, diags);
  }
}
