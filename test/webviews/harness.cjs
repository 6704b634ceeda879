/* eslint-disable @typescript-eslint/no-require-imports -- a plain Node script (run under tsx), NODE_PATH reaching playwright-core */
// The webview pages of test/webviews (webviews.cjs) and its benchmark (bench_reshow.cjs): each page is the panel's
// own HTML shell (extension/webview/html.ts: strict CSP, nonce) served on 127.0.0.1 with the built bundle and CSS of
// dist/webviews, plus a stub acquireVsCodeApi that records what the page posts and a trap collecting chart.js instances.
'use strict';
const fs = require('fs');
const path = require('path');
const http = require('http');
const { webviewHtml, makeNonce } = require('../../extension/webview/html.ts');

const ROOT = path.resolve(__dirname, '../..');
const DIST = path.join(ROOT, 'dist/webviews');

// Runs before the bundle (same nonce): VS Code's acquireVsCodeApi (once only, as in VS Code) recording the
// posted messages, and a trap that collects every chart.js instance as it is constructed (chart.js assigns
// `this._metasets = []` in its constructor; the bundle keeps Chart private).
const HARNESS = `
window.__posted = [];
window.__charts = [];
window.__errors = [];
let acquired = false;
window.acquireVsCodeApi = () => {
  if (acquired) throw new Error('An instance of the VS Code API has already been acquired');
  acquired = true;
  let state;
  return { postMessage: (m) => window.__posted.push(JSON.parse(JSON.stringify(m))), getState: () => state, setState: (s) => { state = s; } };
};
Object.defineProperty(Object.prototype, '_metasets', {
  configurable: true,
  set(v) {
    Object.defineProperty(this, '_metasets', { value: v, writable: true, configurable: true, enumerable: true });
    if (this.canvas && this.config) window.__charts.push(this);
  },
});
document.addEventListener('securitypolicyviolation', (e) => window.__errors.push('CSP: ' + e.violatedDirective + ' ' + e.blockedURI));
window.addEventListener('error', (e) => window.__errors.push('error: ' + e.message));
`;

function page(panel, origin) {
  const nonce = makeNonce();
  const html = webviewHtml({ title: panel, cspSource: origin, nonce, scriptUri: `${origin}/dist/webviews/${panel}.js`, styleUri: `${origin}/dist/webviews/${panel}.css` });
  // The harness script goes first in <head>, before the stylesheet and the bundle.
  return html.replace('<meta name="viewport"', `<script nonce="${nonce}">${HARNESS}</script>\n<meta name="viewport"`);
}

function serve() {
  const server = http.createServer((req, res) => {
    const origin = `http://${req.headers.host}`;
    const url = new URL(req.url, origin);
    const m = /^\/(curves|results|evaluation|experiments)\.html$/.exec(url.pathname);
    if (m) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
      return res.end(page(m[1], origin));
    }
    const f = /^\/dist\/webviews\/([a-z]+\.(js|css))$/.exec(url.pathname);
    if (f && fs.existsSync(path.join(DIST, f[1]))) {
      res.writeHead(200, { 'content-type': f[2] === 'js' ? 'text/javascript' : 'text/css', 'cache-control': 'no-store' });
      return res.end(fs.readFileSync(path.join(DIST, f[1])));
    }
    if (url.pathname === '/favicon.ico') return res.writeHead(204).end();
    res.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

module.exports = { serve };
