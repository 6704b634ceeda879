/**
 * Which config keys a command actually reads: a recording Proxy over a config. Reads made by the
 * config system itself (runtime/config: checks, warnings, writing config.yaml and run_start) are
 * not counted — they touch every key and say nothing about whether a key does what it says.
 * Used by the key-accounting test (test/config/keys.test.ts) through `ICL_CONFIG_READS`
 * (runtime/cli/main.ts) and directly.
 */
import * as path from 'node:path';
import { configLeaves, type Config } from './tree';

/** Environment variable: a file to which a command writes the config keys it read, one per line, at exit. */
export const CONFIG_READS_ENV = 'ICL_CONFIG_READS';

const CONFIG_DIR = __dirname;
const SELF = __filename;

/** True when the read comes from outside runtime/config (the stack's frames, innermost first). */
function fromOutside(): boolean {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? '';
  Error.stackTraceLimit = limit;
  const frames = stack.split('\n').slice(1).map((l) => /\(?((?:file:\/\/)?\/[^():]+):\d+:\d+\)?$/.exec(l.trim())?.[1]?.replace(/^file:\/\//, '') ?? '');
  return !frames.some((f) => f !== SELF && f.startsWith(CONFIG_DIR + path.sep));
}

/**
 * A config that records the dotted path of every leaf read through it (outside runtime/config)
 * into `reads`. Sections and lists are proxied too, so `const t = cfg.train; t.seed` records
 * `train.seed`; a list leaf is recorded when it is read as a whole.
 */
export function recordReads<T extends object = Config>(cfg: T, reads: Set<string> = new Set()): { config: T; reads: Set<string> } {
  const leaves = new Set(configLeaves().map((l) => l.path));
  const wrap = (obj: object, prefix: string): object =>
    new Proxy(obj, {
      get(target, key, receiver) {
        const value = Reflect.get(target, key, receiver) as unknown;
        if (typeof key !== 'string') return value;
        const p = prefix ? `${prefix}.${key}` : key;
        if (leaves.has(p)) {
          if (fromOutside()) reads.add(p);
          return value;
        }
        return value !== null && typeof value === 'object' && !Array.isArray(value) ? wrap(value, p) : value;
      },
    });
  return { config: wrap(cfg, '') as T, reads };
}
