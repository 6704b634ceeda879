/**
 * A webview panel with a typed contract: the webview sends `ready`, the host answers with a full
 * snapshot (also whenever the panel becomes visible again, unless it is kept while hidden) and later
 * partial updates. Scripts and styles come only from the extension's dist/webviews (localResourceRoots).
 */
import * as vscode from 'vscode';
import { DisposableObject } from '../util/disposable';
import { makeNonce, webviewHtml } from './html';

export abstract class TypedPanel<ToWebview extends { type: string }, FromWebview extends { type: string }> extends DisposableObject {
  protected readonly panel: vscode.WebviewPanel;
  private readonly closed = this.disposer.track(new vscode.EventEmitter<void>());
  readonly onDidDispose = this.closed.event;
  private ready = false;

  private readonly retained: boolean;

  /**
   * @param opts `retainWhenHidden`: keep the webview (its document and state) while hidden, so that
   *   re-showing it needs no snapshot and updates reach it while hidden; for panels whose state is
   *   expensive to send again (costs the webview's memory while hidden).
   */
  constructor(extensionUri: vscode.Uri, viewType: string, title: string, bundle: string, opts: { retainWhenHidden?: boolean } = {}) {
    super();
    this.retained = opts.retainWhenHidden ?? false;
    const media = vscode.Uri.joinPath(extensionUri, 'dist', 'webviews');
    this.panel = vscode.window.createWebviewPanel(viewType, title, vscode.ViewColumn.Active, { enableScripts: true, localResourceRoots: [media], retainContextWhenHidden: this.retained });
    const w = this.panel.webview;
    w.html = webviewHtml({
      title,
      cspSource: w.cspSource,
      nonce: makeNonce(),
      scriptUri: w.asWebviewUri(vscode.Uri.joinPath(media, `${bundle}.js`)).toString(),
      styleUri: w.asWebviewUri(vscode.Uri.joinPath(media, `${bundle}.css`)).toString(),
    });
    this.disposer.track(w.onDidReceiveMessage((m: FromWebview) => {
      if (m.type === 'ready') {
        this.ready = true;
        this.sendSnapshot();
      } else this.onMessage(m);
    }));
    this.disposer.track(this.panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.visible && this.ready && !this.retained) this.sendSnapshot();
    }));
    this.disposer.track(this.panel.onDidDispose(() => {
      this.closed.fire();
      this.dispose();
    }));
  }

  reveal(): void {
    this.panel.reveal();
  }

  /** Posts a message once the webview is ready (earlier ones are covered by the snapshot). */
  protected post(message: ToWebview): void {
    if (this.ready && (this.panel.visible || this.retained)) void this.panel.webview.postMessage(message);
  }

  /** Sends the full state. */
  protected abstract sendSnapshot(): void;
  /** Handles a message other than `ready`. */
  protected abstract onMessage(message: FromWebview): void;

  override dispose(): void {
    super.dispose();
  }
}
