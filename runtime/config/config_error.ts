/**
 * The error of a bad configuration value (exit code 2 in the CLIs), with where the value came from.
 * Imports nothing, so every config module (the family table included) can throw it.
 */

/** Where a value came from: a YAML file position, or the command line. */
export interface Origin {
  /** File path as given (absent for the command line). */
  file?: string;
  /** 1-based line. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

/** Formats an origin as `file:line:col` or `command line`. */
export function formatOrigin(origin: Origin | undefined): string | undefined {
  if (!origin) return undefined;
  if (origin.file === undefined) return 'command line';
  let s = origin.file;
  if (origin.line !== undefined) s += `:${origin.line}`;
  if (origin.line !== undefined && origin.column !== undefined) s += `:${origin.column}`;
  return s;
}

/**
 * A problem with the configuration. `message` is one line meant for the user as is (no stack trace
 * needed): `<file:line:col | command line>: <key>: <problem>`.
 */
export class ConfigError extends Error {
  /** Dotted key concerned, when known. */
  readonly key?: string;
  /** Config file concerned, when known. */
  readonly file?: string;
  /** 1-based line in `file`, when known. */
  readonly line?: number;
  /** 1-based column in `file`, when known. */
  readonly column?: number;

  constructor(problem: string, opts: { key?: string; origin?: Origin } = {}) {
    const where = formatOrigin(opts.origin);
    const parts = [where, opts.key, problem].filter((p): p is string => p !== undefined && p !== '');
    super(parts.join(': '));
    this.name = 'ConfigError';
    if (opts.key !== undefined) this.key = opts.key;
    if (opts.origin?.file !== undefined) this.file = opts.origin.file;
    if (opts.origin?.line !== undefined) this.line = opts.origin.line;
    if (opts.origin?.column !== undefined) this.column = opts.origin.column;
  }
}
