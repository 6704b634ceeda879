/**
 * CSV cells for the exports (Results, Curves). A text cell that a spreadsheet would read as a formula
 * (it starts with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading `'`, following the
 * OWASP advice on CSV injection (https://owasp.org/www-community/attacks/CSV_Injection), so that a
 * run named `=cmd|' /C calc'!A0` opens as that text; plain numbers (`-0.5`, `+1.25`) stay numbers.
 * Cells with a comma, quote or line break are quoted (RFC 4180). Pure; no vscode import.
 */

/** A plain decimal number, which spreadsheets read as a number and never as a formula. */
const NUMBER = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/u;

/** One CSV cell: neutralised when a spreadsheet would evaluate it, quoted when needed. */
export function csvCell(s: string): string {
  const text = /^[=+\-@\t\r]/u.test(s) && !NUMBER.test(s) ? `'${s}` : s;
  return /[",\r\n]/u.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** A CSV line of cells. */
export const csvLine = (cells: ReadonlyArray<string | number>): string => cells.map((c) => (typeof c === 'number' ? String(c) : csvCell(c))).join(',');
