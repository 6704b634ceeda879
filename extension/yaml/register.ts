/**
 * The vscode layer of the config IntelliSense: completion, hover, diagnostics, quick fixes and the
 * outline for YAML files under configs/ and those the `imageClassificationLab.configFiles` globs name.
 * All logic is in the pure modules beside this file.
 */
import * as vscode from 'vscode';
import { DIAGNOSTIC_SOURCE, Setting } from '../ids';
import { DisposableObject } from '../util/disposable';
import { getSetting, onDidChangeSetting } from '../vscode/config';
import { ItemKind, configCompletions } from './completion';
import { configDiagnostics, type ConfigDiagnostic } from './diagnostics';
import { quickFixes } from './fixes';
import { configHover } from './hover';
import { configOutline, type OutlineNode } from './outline';

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

const SYMBOL: Record<OutlineNode['kind'], vscode.SymbolKind> = {
  document: vscode.SymbolKind.Namespace,
  section: vscode.SymbolKind.Module,
  key: vscode.SymbolKind.Property,
  unknown: vscode.SymbolKind.Key,
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
      vscode.languages.registerDocumentSymbolProvider(this.selector, { provideDocumentSymbols: (d) => this.outline(d) }, { label: 'Config' }),
    ];
    this.collection.clear();
    vscode.workspace.textDocuments.forEach((d) => this.refresh(d));
  }

  private complete(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
    const offset = doc.offsetAt(pos);
    return configCompletions(doc.getText(), offset).map((e) => {
      const item = new vscode.CompletionItem(e.label, KIND[e.kind]);
      item.insertText = e.snippet ? new vscode.SnippetString(e.insertText) : e.insertText;
      // The snippets carry their own indentation (a section's keys under the section's column).
      item.keepWhitespace = true;
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
    const ours = ctx.diagnostics.filter((d) => d.source === DIAGNOSTIC_SOURCE);
    if (!ours.length) return [];
    // Diagnostics come back from the editor as plain data: find them again by code and range.
    const text = doc.getText();
    const current = configDiagnostics(text);
    const actions: vscode.CodeAction[] = [];
    for (const d of ours) {
      const c = current.find((u) => u.code === d.code && range(doc, u.span).isEqual(d.range));
      for (const fix of c ? quickFixes(text, c) : []) {
        const action = new vscode.CodeAction(fix.title, vscode.CodeActionKind.QuickFix);
        action.edit = new vscode.WorkspaceEdit();
        for (const e of fix.edits) action.edit.replace(doc.uri, range(doc, e.span), e.newText);
        action.diagnostics = [d];
        action.isPreferred = fix.preferred;
        actions.push(action);
      }
    }
    return actions;
  }

  private outline(doc: vscode.TextDocument): vscode.DocumentSymbol[] {
    const toSymbol = (n: OutlineNode): vscode.DocumentSymbol => {
      const s = new vscode.DocumentSymbol(n.name, n.detail, SYMBOL[n.kind], range(doc, n.span), range(doc, n.selection));
      s.children = n.children.map(toSymbol);
      return s;
    };
    return configOutline(doc.getText()).map(toSymbol);
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
