/**
 * The queue file of `npm run queue -- FILE`: a YAML list of runs, each a config file and overrides,
 *
 *   - config: configs/cifar/resnet_preact.yaml
 *     overrides: {model.resnet_preact.depth: 20, train.batch_size: 64}
 *   - config: configs/cifar/wrn.yaml
 *     name: wrn16                       # optional; default NN_<config name>
 *     overrides: [model.wrn.depth, 16]  # or the command line's key value list
 *
 * or a mapping with the list under `runs` and the queue's own settings:
 *
 *   parallel: 2                         # runs at a time on the CPU (default 1; with GPUs: one per GPU)
 *   output_dir: experiments/sweep       # the queue's folder (default experiments/queue/<FILE name>)
 *   runs: [...]
 *
 * Relative config paths are read from the folder of the queue file first, then the current one.
 * A run's folder is `<queue folder>/<name>`, unless the entry's overrides set `train.output_dir`
 * (the config file's own `output_dir` is not used: the runs of a sweep would share it).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';
import { ConfigError, loadConfig, oneLineProblem, type Config } from '../config';

/** One run of a queue. */
export interface QueueEntry {
  /** Unique within the queue; names its folder and log. */
  name: string;
  /** Config file (resolved path), or undefined for the defaults. */
  config?: string;
  /** `key value` pairs as on the command line. */
  overrides: string[];
  /** Absolute run folder. */
  outputDir: string;
  /** Extra arguments of the training command (e.g. `--nproc_per_node 2`). */
  args: string[];
  /** The entry's `nproc_per_node` (data-parallel workers per node), when it gives one. */
  nprocPerNode?: number;
}

/** A parsed queue file. */
export interface QueueFile {
  file: string;
  /** Runs at a time on the CPU (`parallel`, default 1). */
  parallel?: number;
  /** Absolute queue folder. */
  outputDir: string;
  entries: QueueEntry[];
}

/** A YAML value as a command-line override value (`True`, `[1, 2]`, `0.1`, text). */
export function overrideValue(v: unknown): string {
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  if (Array.isArray(v)) return `[${v.map(overrideValue).join(', ')}]`;
  if (v === null || v === undefined) return '';
  return String(v);
}

function fail(file: string, where: string, problem: string): never {
  throw new ConfigError(`${file}: ${where}: ${problem}`);
}

/** Fails when a path or name of the queue file holds a control character (it must stay one line). */
function oneLine(file: string, where: string, value: unknown): void {
  const p = typeof value === 'string' ? oneLineProblem(value) : undefined;
  if (p) fail(file, where, p);
}

function resolveConfig(file: string, where: string, p: string): string {
  const local = path.resolve(path.dirname(file), p);
  if (fs.existsSync(local)) return local;
  const cwd = path.resolve(p);
  if (fs.existsSync(cwd)) return cwd;
  return fail(file, where, `${p} not found (looked in ${path.dirname(file)} and ${process.cwd()})`);
}

/**
 * Reads and checks a queue file: every run's config is loaded (so a typo fails before anything
 * runs, naming the run), names are unique, run folders distinct.
 * @param outputDir the queue folder when given on the command line (wins over the file's)
 * @throws ConfigError naming the file, the run and the problem
 */
export function readQueueFile(file: string, outputDir?: string): QueueFile {
  const abs = path.resolve(file);
  if (!fs.existsSync(abs)) throw new ConfigError(`queue file ${file} not found`);
  let doc: unknown;
  try {
    doc = parse(fs.readFileSync(abs, 'utf8'));
  } catch (e) {
    return fail(file, 'YAML', (e as Error).message.split('\n')[0]);
  }
  const top = Array.isArray(doc) ? { runs: doc } : (doc as Record<string, unknown> | null);
  if (!top || typeof top !== 'object' || !Array.isArray(top.runs)) {
    return fail(file, 'top level', 'expected a list of runs, or a mapping with `runs:` (a list)');
  }
  for (const k of Object.keys(top)) if (!['runs', 'parallel', 'output_dir'].includes(k)) fail(file, k, 'unknown key (known: runs, parallel, output_dir)');
  const parallel = top.parallel;
  if (parallel !== undefined && (!Number.isInteger(parallel) || (parallel as number) < 1)) fail(file, 'parallel', `expected a positive integer, got ${JSON.stringify(parallel)}`);
  const dirProblem = outputDir === undefined ? undefined : oneLineProblem(outputDir);
  if (dirProblem) throw new ConfigError(dirProblem, { key: '--output_dir' });
  oneLine(file, 'output_dir', top.output_dir);
  const base = path.basename(abs).replace(/\.ya?ml$/i, '');
  const queueDir = path.resolve(outputDir ?? (typeof top.output_dir === 'string' ? path.resolve(path.dirname(abs), top.output_dir) : path.join('experiments', 'queue', base)));
  const entries: QueueEntry[] = [];
  const names = new Set<string>();
  const dirs = new Map<string, string>();
  (top.runs as unknown[]).forEach((raw, i) => {
    const where = `run ${i + 1}`;
    const r = (typeof raw === 'string' ? { config: raw } : raw) as Record<string, unknown> | null;
    if (!r || typeof r !== 'object' || Array.isArray(r)) return fail(file, where, 'expected a mapping with config and overrides (or a config path)');
    for (const k of Object.keys(r)) if (!['config', 'overrides', 'name', 'nproc_per_node'].includes(k)) fail(file, `${where}.${k}`, 'unknown key (known: config, overrides, name, nproc_per_node)');
    oneLine(file, `${where}.config`, r.config);
    const config = r.config === undefined ? undefined : typeof r.config === 'string' ? resolveConfig(file, `${where}.config`, r.config) : fail(file, `${where}.config`, 'expected a path');
    let overrides: string[] = [];
    if (Array.isArray(r.overrides)) {
      if (r.overrides.length % 2 !== 0) fail(file, `${where}.overrides`, 'a list of overrides must alternate key and value');
      overrides = r.overrides.map(overrideValue);
    } else if (r.overrides && typeof r.overrides === 'object') {
      overrides = Object.entries(r.overrides as Record<string, unknown>).flatMap(([k, v]) => [k, overrideValue(v)]);
    } else if (r.overrides !== undefined && r.overrides !== null) {
      fail(file, `${where}.overrides`, 'expected a mapping {key: value} or a list [key, value, ...]');
    }
    const name = typeof r.name === 'string' && r.name !== '' ? r.name : `${String(i).padStart(2, '0')}_${config ? path.basename(config).replace(/\.ya?ml$/i, '') : 'defaults'}`;
    oneLine(file, `${where}.name`, name);
    if (!/^[\w.-]+$/.test(name)) fail(file, `${where}.name`, `${JSON.stringify(name)}: use letters, digits, '.', '-', '_'`);
    if (names.has(name)) fail(file, `${where}.name`, `${name} is used twice`);
    names.add(name);
    let cfg: Config;
    try {
      cfg = loadConfig({ configFile: config, overrides });
    } catch (e) {
      return fail(file, `${where} (${name})`, (e as Error).message.replace(/^command line: /, 'overrides: '));
    }
    // The config files' own output_dir (every shipped one has one) would make the runs of a sweep
    // share a folder: only an override places a run elsewhere.
    const setsDir = overrides.some((o, j) => j % 2 === 0 && o === 'train.output_dir');
    const runDir = setsDir ? path.resolve(cfg.train.output_dir) : path.join(queueDir, name);
    if (dirs.has(runDir)) fail(file, where, `its run folder ${runDir} is also the folder of ${dirs.get(runDir)}`);
    dirs.set(runDir, name);
    const nproc = r.nproc_per_node;
    if (nproc !== undefined && (!Number.isInteger(nproc) || (nproc as number) < 1)) fail(file, `${where}.nproc_per_node`, 'expected a positive integer');
    entries.push({ name, config, overrides, outputDir: runDir, args: nproc && nproc !== 1 ? ['--nproc_per_node', String(nproc)] : [], ...(nproc !== undefined ? { nprocPerNode: nproc as number } : {}) });
  });
  if (entries.length === 0) fail(file, 'runs', 'the queue is empty');
  return { file: abs, parallel: parallel as number | undefined, outputDir: queueDir, entries };
}
