/**
 * Command-line parsing shared by the CLIs: `--config FILE`, `--resume DIR`, `-h/--help`, flags the
 * caller declares, and positional `key value` override pairs (negative numbers are values, not flags).
 */
import { parseArgs } from 'node:util';
import { ConfigError } from './errors';
import { findNode } from './tree';

/** A flag a CLI declares in addition to the common ones. */
export interface ExtraFlag {
  type: 'string' | 'boolean';
  /** One-letter alias, e.g. `n` for `-n`. */
  short?: string;
  /** One line for the help text. */
  description?: string;
}

/** Result of {@link parseCliArgs}. */
export interface CliArgs {
  configFile?: string;
  resumeDir?: string;
  /** `key value` pairs in command-line order, ready for `loadConfig({ overrides })`. */
  overrides: string[];
  help: boolean;
  /** Every flag given (common and extra), by long name. */
  flags: Record<string, string | boolean>;
}

const COMMON: Record<string, ExtraFlag> = {
  config: { type: 'string', description: 'YAML config file merged over the defaults' },
  resume: { type: 'string', description: 'run folder to resume (uses its config.yaml)' },
  help: { type: 'boolean', short: 'h', description: 'show this help' },
};

const NUMBER_LIKE = /^-(?:\d|\.\d|inf\b|\.inf\b|nan\b)/i;
const PROTECT = '\u0000icl-arg:';

function flagList(flags: Record<string, ExtraFlag>): string {
  return Object.entries(flags)
    .map(([name, f]) => `${f.short ? `-${f.short}/` : ''}--${name}${f.type === 'string' ? ' VALUE' : ''}`)
    .join(', ');
}

/**
 * The arguments with override values that start with '-' (e.g. `train.dist.world_size -1`)
 * protected from being read as flags ({@link PROTECT}).
 * @throws ConfigError for a string flag given twice
 */
function protectValues(argv: readonly string[], flags: Record<string, ExtraFlag>): string[] {
  const args: string[] = [];
  let positional = 0;
  let expectValue = false;
  let rest = false;
  const given = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (rest || expectValue || NUMBER_LIKE.test(a)) {
      args.push(a.startsWith('-') ? PROTECT + a : a);
      if (!rest) {
        positional++;
        expectValue = false;
      }
      continue;
    }
    if (a === '--') {
      rest = true;
      args.push(a);
      continue;
    }
    if (a.startsWith('-') && a.length > 1) {
      args.push(a);
      const name = a.startsWith('--') ? a.slice(2).split('=')[0] : (Object.entries(flags).find(([, f]) => f.short === a.slice(1))?.[0] ?? '');
      if (flags[name]?.type === 'string') {
        if (given.has(name)) throw new ConfigError(`--${name} is given twice; give it once (change single values with key value overrides)`);
        given.add(name);
      }
      if (flags[name]?.type === 'string' && !a.includes('=') && i + 1 < argv.length) args.push(argv[++i]);
      continue;
    }
    args.push(a);
    positional++;
    expectValue = positional % 2 === 1;
  }
  return args;
}

/** node:util parseArgs's error as one ConfigError line naming the option. */
function parseArgsError(err: unknown, flags: Record<string, ExtraFlag>): ConfigError {
  const e = err as Error & { code?: string };
  const m = /'([^']+)'/.exec(e.message);
  const opt = m ? m[1].split(' ')[0] : undefined;
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const bare = opt?.replace(/^--?/, '').split('=')[0] ?? '';
    const hint = findNode(bare) ? ` (overrides are written without dashes: ${bare} VALUE)` : '';
    return new ConfigError(`unknown option ${opt ?? ''}${hint}; known options: ${flagList(flags)}`);
  }
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    return new ConfigError(`option ${opt ?? ''}: ${e.message.split('\n')[0]}`);
  }
  return new ConfigError(e.message.split('\n')[0]);
}

/**
 * Parses CLI arguments (without `node` and the script: `process.argv.slice(2)`).
 * @param extraFlags flags this CLI accepts besides `--config`, `--resume` and `-h/--help`.
 * @throws ConfigError naming an unknown flag, a flag missing its value, or a flag with a value given twice.
 */
export function parseCliArgs(argv: readonly string[], extraFlags: Record<string, ExtraFlag> = {}): CliArgs {
  const flags: Record<string, ExtraFlag> = { ...COMMON, ...extraFlags };
  const args = protectValues(argv, flags);
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: Object.fromEntries(Object.entries(flags).map(([name, f]) => [name, f.short ? { type: f.type, short: f.short } : { type: f.type }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw parseArgsError(err, flags);
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  const out: CliArgs = {
    overrides: parsed.positionals.map((p) => (p.startsWith(PROTECT) ? p.slice(PROTECT.length) : p)),
    help: values.help === true,
    flags: {},
  };
  for (const [k, v] of Object.entries(values)) if (v !== undefined) out.flags[k] = v;
  if (typeof values.config === 'string') out.configFile = values.config;
  if (typeof values.resume === 'string') out.resumeDir = values.resume;
  return out;
}

/** Help text lines for the common flags and `extraFlags`. */
export function cliFlagsHelp(extraFlags: Record<string, ExtraFlag> = {}): string {
  return Object.entries({ ...COMMON, ...extraFlags })
    .map(([name, f]) => `  ${`${f.short ? `-${f.short}, ` : '    '}--${name}${f.type === 'string' ? ' VALUE' : ''}`.padEnd(28)} ${f.description ?? ''}`)
    .join('\n');
}
