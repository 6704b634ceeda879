/**
 * Run colours in the Curves webview: the host's `var(--vscode-charts-blue, #3a7fd5)` resolved against
 * the current theme (light, dark and high-contrast themes each define their chart colours), and a
 * faint variant for the raw series behind a smoothed one. Browser code.
 */
import { themeColor } from '../shared/vscode';

/** A CSS colour a canvas can use: `var(--name, fallback)` resolved from the theme, anything else as is. */
export function resolveColor(color: string): string {
  const m = /^var\((--[\w-]+)\s*,\s*([^)]+)\)$/.exec(color.trim());
  return m ? themeColor(m[1], m[2].trim()) : color;
}

/** `color` (`#rgb`, `#rrggbb`, `#rrggbbaa` or `rgb()`/`rgba()`) at `alpha` (0..1); other forms unchanged. */
export function withAlpha(color: string, alpha: number): string {
  let rgb: number[] | undefined;
  const hex = /^#([0-9a-f]{3}|[0-9a-f]{6}|[0-9a-f]{8})$/i.exec(color.trim());
  if (hex) {
    const h = hex[1].length === 3 ? hex[1].split('').map((c) => c + c).join('') : hex[1];
    rgb = [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
  } else {
    const fn = /^rgba?\(\s*(\d+)[\s,]+(\d+)[\s,]+(\d+)/i.exec(color.trim());
    if (fn) rgb = fn.slice(1, 4).map(Number);
  }
  return rgb ? `rgba(${rgb.join(', ')}, ${alpha})` : color;
}
