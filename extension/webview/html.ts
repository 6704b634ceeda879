/** The HTML shell of a webview panel: strict CSP with a nonce (no unsafe-inline, no unsafe-eval). Pure. */
import { randomBytes } from 'node:crypto';

export const makeNonce = (): string => randomBytes(16).toString('base64').replace(/[+/=]/g, '');

export function webviewHtml(o: { title: string; cspSource: string; nonce: string; scriptUri: string; styleUri: string }): string {
  const csp = [
    "default-src 'none'",
    `img-src ${o.cspSource} data:`,
    `font-src ${o.cspSource}`,
    `style-src ${o.cspSource} 'nonce-${o.nonce}'`,
    `script-src 'nonce-${o.nonce}'`,
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${o.nonce}" href="${o.styleUri}">
<title>${o.title}</title>
</head>
<body>
<div id="app"></div>
<script nonce="${o.nonce}" src="${o.scriptUri}"></script>
</body>
</html>`;
}
