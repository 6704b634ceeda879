/**
 * Diagnostics of a config file while it is typed: YAML syntax, unknown keys (with the closest keys
 * for a quick fix), wrong types, values not allowed, out-of-range numbers, depths that do not fit the
 * block rule and the runtime's other cross-key checks, and its warnings (two batch-mixing methods at
 * once, ...). Pure: offsets in, offsets out.
 */
import * as YAML from 'yaml';
import { ConfigError, configWarnings, defaultConfig, expectedType, findNode, setPath, suggestKeys, validateConfig, type Config, type Origin, type SectionSpec } from '../../runtime/config/index';
import { parseConfigDocument, entryOf, type ConfigDocument, type KeyEntry, type Span } from './document';
import { checkValue } from './values';

/** Machine-readable kinds of problems (the diagnostic `code`). */
export enum DiagnosticCode {
  Syntax = 'yaml-syntax',
  NotAMapping = 'not-a-mapping',
  UnknownKey = 'unknown-key',
  SectionValue = 'section-value',
  LeafMapping = 'leaf-mapping',
  WrongType = 'wrong-type',
  NotAllowed = 'not-allowed',
  OutOfRange = 'out-of-range',
  Check = 'config-check',
  Warning = 'config-warning',
}

export type Severity = 'error' | 'warning' | 'info';

/** One problem of the file. */
export interface ConfigDiagnostic {
  readonly span: Span;
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  /** Dotted key concerned, when there is one. */
  readonly path?: string;
  /** For unknown keys: key names (same section) that a quick fix can put in place of the key. */
  readonly replacements?: readonly string[];
}

const valueOrKey = (e: KeyEntry): Span => e.valueSpan ?? e.keySpan;

function checkEntries(cd: ConfigDocument, cfg: Config, origins: Map<string, Origin>, out: ConfigDiagnostic[]): void {
  const unknownPrefixes: string[] = [];
  for (const e of cd.entries) {
    if (unknownPrefixes.some((p) => e.path.startsWith(`${p}.`))) continue;
    const node = findNode(e.path);
    if (!node) {
      unknownPrefixes.push(e.path);
      const suggestions = suggestKeys(e.path);
      const parent = e.path.slice(0, e.path.length - e.name.length - 1);
      const replacements = suggestions.filter((s) => s.startsWith(parent ? `${parent}.` : '') && !s.slice(parent ? parent.length + 1 : 0).includes('.')).map((s) => s.split('.').pop() as string);
      const hint = suggestions.length ? ` (did you mean ${suggestions.join(' or ')}?)` : '';
      out.push({ span: e.keySpan, severity: 'error', code: DiagnosticCode.UnknownKey, message: `unknown key '${e.path}'${hint}`, path: e.path, replacements });
      continue;
    }
    if (node.kind === 'section') {
      if (!YAML.isMap(e.value) && e.valueSpan) {
        const first = Object.keys((node as SectionSpec).children)[0];
        out.push({ span: e.valueSpan, severity: 'error', code: DiagnosticCode.SectionValue, message: `${e.path} is a section, not a value: give its keys as a mapping (e.g. ${first}:)`, path: e.path });
        unknownPrefixes.push(e.path);
      }
      continue;
    }
    if (YAML.isMap(e.value)) {
      out.push({ span: e.keySpan, severity: 'error', code: DiagnosticCode.LeafMapping, message: `${e.path} is a value (${expectedType(node)}), not a section`, path: e.path });
      unknownPrefixes.push(e.path);
      continue;
    }
    const raw = e.valueSpan ? cd.text.slice(e.valueSpan[0], e.valueSpan[1]) : '';
    const res = checkValue(e.path, node, e.valueSpan ? e.value : null, raw);
    if (!res.ok) {
      const code = res.code === 'wrong-type' ? DiagnosticCode.WrongType : res.code === 'not-allowed' ? DiagnosticCode.NotAllowed : DiagnosticCode.OutOfRange;
      out.push({ span: valueOrKey(e), severity: 'error', code, message: `${e.path}: ${res.message}`, path: e.path });
      continue;
    }
    setPath(cfg, e.path, res.value);
    origins.set(e.path, {});
  }
}

/** The runtime's cross-key checks, each reported once; a failing key is reset to its default to find the next. */
function crossChecks(cd: ConfigDocument, cfg: Config, origins: Map<string, Origin>, out: ConfigDiagnostic[]): void {
  const defaults = defaultConfig();
  const seen = new Set<string>();
  for (let i = 0; i < 8; i++) {
    try {
      validateConfig(cfg, origins);
      return;
    } catch (err) {
      if (!(err instanceof ConfigError) || err.key === undefined || seen.has(err.key)) return;
      seen.add(err.key);
      const entry = entryOf(cd, err.key) ?? nearestEntry(cd, err.key);
      const message = err.message.replace(/^command line: /, '');
      out.push({ span: entry ? valueOrKey(entry) : [0, 0], severity: 'error', code: DiagnosticCode.Check, message, path: err.key });
      const def = err.key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown>)?.[k], defaults);
      setPath(cfg, err.key, def);
    }
  }
}

/** The entry of the key, else of its nearest section or sibling the file sets. */
function nearestEntry(cd: ConfigDocument, path: string): KeyEntry | undefined {
  const parts = path.split('.');
  for (let n = parts.length - 1; n >= 1; n--) {
    const e = entryOf(cd, parts.slice(0, n).join('.'));
    if (e) return e;
  }
  return cd.entries[0];
}

/** Dotted keys a warning line names (`use_mixup` means `augmentation.use_mixup`). */
function keysOfWarning(line: string): string[] {
  const keys: string[] = [];
  for (const m of line.matchAll(/\b([a-z_]+(?:\.[A-Za-z_0-9]+)+|use_[a-z_]+)\b/g)) {
    const k = m[1].startsWith('use_') ? `augmentation.${m[1]}` : m[1];
    if (findNode(k)) keys.push(k);
    else if (findNode(`scheduler.${k}`)) keys.push(`scheduler.${k}`);
  }
  return keys;
}

function warnings(cd: ConfigDocument, cfg: Config, out: ConfigDiagnostic[]): void {
  for (const w of configWarnings(cfg)) {
    // Put the warning on the keys the file sets, the later ones first (the one that conflicts with an earlier).
    const entries = keysOfWarning(w).map((k) => entryOf(cd, k)).filter((e): e is KeyEntry => e !== undefined);
    const target = entries.length > 1 ? entries[entries.length - 1] : entries[0];
    out.push({ span: target ? valueOrKey(target) : [0, 0], severity: 'warning', code: DiagnosticCode.Warning, message: w, path: target?.path });
  }
}

/** Every problem of a config file's text. */
export function configDiagnostics(text: string): ConfigDiagnostic[] {
  const cd = parseConfigDocument(text);
  const out: ConfigDiagnostic[] = [];
  for (const err of cd.doc.errors) {
    const [a, b] = err.pos;
    out.push({ span: [a, Math.max(b, a + 1)], severity: 'error', code: DiagnosticCode.Syntax, message: `YAML: ${err.message.split('\n')[0]}` });
  }
  if (out.length) return out;
  const root = cd.doc.contents;
  if (root === null || (YAML.isScalar(root) && (root.value === null || root.value === ''))) return out;
  if (!YAML.isMap(root)) {
    const r = root.range ?? [0, 0];
    return [{ span: [r[0], r[1]], severity: 'error', code: DiagnosticCode.NotAMapping, message: 'the top level must be a mapping of sections (e.g. `train:`)' }];
  }
  const cfg = defaultConfig();
  const origins = new Map<string, Origin>();
  checkEntries(cd, cfg, origins, out);
  crossChecks(cd, cfg, origins, out);
  warnings(cd, cfg, out);
  return out;
}

