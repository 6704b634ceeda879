/**
 * Values that must stay on one line: paths and names (run folders, dataset folders, checkpoints, run,
 * queue and job names, Slurm options). They end up in batch scripts, directive lines, logs and
 * tables, where a newline or another control character would end a line or change what follows
 * (runtime/slurm/script.ts; docs/security.md). Such values may hold any other character.
 */

/** Control characters: C0 (U+0000–U+001F, newline, carriage return and NUL among them), DEL, C1 (U+0080–U+009F). */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

const NAMES: Readonly<Record<number, string>> = { 0: 'NUL', 9: 'tab', 10: 'newline', 11: 'vertical tab', 12: 'form feed', 13: 'carriage return', 27: 'escape', 127: 'DEL', 133: 'next line' };

/** `newline (U+000A)`: a control character named for messages. */
export function describeControl(ch: string): string {
  const code = ch.codePointAt(0) ?? 0;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  const name = NAMES[code] ?? (code < 0x20 ? 'control character' : code === 0x7f ? 'DEL' : 'C1 control character');
  return `${name} (${hex})`;
}

/** The first control character of `s` and its 1-based position, or undefined when there is none. */
export function firstControl(s: string): { char: string; position: number } | undefined {
  const m = CONTROL.exec(s);
  return m ? { char: m[0], position: [...s.slice(0, m.index)].length + 1 } : undefined;
}

/**
 * What is wrong with a value that must stay on one line, or undefined when nothing is:
 * `holds a newline (U+000A) at character 17; …`.
 */
export function oneLineProblem(s: string): string | undefined {
  const c = firstControl(s);
  if (!c) return undefined;
  const what = describeControl(c.char);
  return `holds ${/^[aeiou]/.test(what) ? 'an' : 'a'} ${what} at character ${c.position} of ${JSON.stringify(s)}; paths and names must be one line without control characters`;
}
