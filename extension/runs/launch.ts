/**
 * Pure helpers of launching the runtime: the proposed output folder, the overrides typed in an input
 * box, the command line of a runtime CLI, and progress read from events. No vscode import.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ConfigError, loadConfig, loadConfigFromText, oneLineProblem, type Config } from '../../runtime/config/index';
import { CHECKPOINT_NAME_RE } from '../../runtime/protocol';
import { EVENTS_FILE, type RunEvent } from '../../runtime/protocol/events';

/** `exp00`, `exp01`, ...: the first name not in `existing`. */
export function nextExpName(existing: readonly string[]): string {
  for (let i = 0; ; i++) {
    const name = `exp${String(i).padStart(2, '0')}`;
    if (!existing.includes(name)) return name;
  }
}

/** `experiments/<model>_<depth>/expNN` (relative to the workspace), next free number. */
export function proposeOutputDir(workspace: string, cfg: Config): string {
  const name = cfg.model.name;
  const section = (cfg.model as unknown as Record<string, { depth?: number }>)[name];
  const stem = section?.depth !== undefined && cfg.model.type === 'cifar' ? `${name}_${section.depth}` : name;
  const parent = path.join('experiments', stem);
  let existing: string[] = [];
  try {
    existing = fs.readdirSync(path.join(workspace, parent));
  } catch {
    // a new folder
  }
  return path.posix.join('experiments', stem, nextExpName(existing));
}

/**
 * Splits what the user typed (`scheduler.epochs 2 scheduler.milestones [1, 2] train.output_dir 'a b'`)
 * into tokens: whitespace separates, except inside brackets, parentheses and quotes.
 */
export function splitOverrides(input: string): string[] {
  const tokens: string[] = [];
  let cur = '';
  let depth = 0;
  let quote: string | undefined;
  for (const ch of input) {
    if (quote) {
      cur += ch;
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      cur += ch;
    } else if (ch === '[' || ch === '(') {
      depth++;
      cur += ch;
    } else if (ch === ']' || ch === ')') {
      depth--;
      cur += ch;
    } else if (/\s/.test(ch) && depth <= 0) {
      if (cur) tokens.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) tokens.push(cur);
  return tokens;
}

/** Overrides with any `train.output_dir` pair replaced by one for `dir`. */
export function withOutputDir(overrides: readonly string[], dir: string): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < overrides.length; i += 2) if (overrides[i] !== 'train.output_dir') out.push(overrides[i], overrides[i + 1]);
  return [...out, 'train.output_dir', dir];
}

/** Loads a config text with overrides the way the runtime will; the runtime's one-line message on failure. */
export function checkConfig(text: string, file: string, overrides: readonly string[]): { ok: true; config: Config } | { ok: false; message: string } {
  try {
    return { ok: true, config: loadConfigFromText(text, { file, overrides }).config };
  } catch (err) {
    if (err instanceof ConfigError) return { ok: false, message: err.message };
    throw err;
  }
}

/**
 * The check of the Run overrides box: what the runtime would say of the config with the typed
 * overrides (after `extra`, e.g. `device cuda`), or undefined when they are fine. A path or name
 * with a control character (a newline pasted in quotes) is refused here as by every CLI.
 */
export function overridesProblem(text: string, file: string, extra: readonly string[], typed: string): string | undefined {
  const r = checkConfig(text, file, [...extra, ...splitOverrides(typed)]);
  return r.ok ? undefined : r.message;
}

/** The check of the Resume overrides box: the run's saved config with the typed overrides, as `train --resume` loads it. */
export function resumeOverridesProblem(runDir: string, typed: string): string | undefined {
  try {
    loadConfig({ resumeDir: runDir, overrides: splitOverrides(typed) });
    return undefined;
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
}

/** The check of the Run folder box (relative to the workspace): one line, not empty, not a folder that holds a run. */
export function runFolderProblem(workspace: string, folder: string): string | undefined {
  if (folder.trim() === '') return 'a folder is needed';
  const line = oneLineProblem(folder);
  if (line) return `train.output_dir: ${line}`;
  return fs.existsSync(path.join(workspace, folder, EVENTS_FILE)) ? `${folder} already holds a run (use Resume)` : undefined;
}

/**
 * Whether resuming a run would start it over: it has no checkpoint file among `files` (its folder's
 * names) but its events show training (as the runtime's `--resume` refuses without `--start-over`).
 */
export function needsStartOver(files: readonly string[], events: readonly RunEvent[]): boolean {
  if (files.some((f) => CHECKPOINT_NAME_RE.test(f))) return false;
  return events.some((e) => e.type === 'step' || (e.type === 'epoch' && e.epoch > 0));
}

/** How the runtime is started: from the workspace's TypeScript sources (tsx) or the bundled CLIs. */
export type RuntimeMode = 'auto' | 'source' | 'bundle';

/** A process to spawn. */
export interface Launch {
  command: string;
  args: string[];
  cwd: string;
}

/**
 * The command line of a runtime CLI. `source`: `node --import tsx runtime/cli/<cli>.ts` in the
 * workspace (the repository); `bundle`: `node <extension>/dist/cli/<cli>.js`; `auto` picks source
 * when the workspace has runtime/cli/<cli>.ts and tsx.
 */
export function runtimeLaunch(opts: { mode: RuntimeMode; node: string; workspace: string; extensionDir: string; cli: 'train' | 'evaluate' | 'queue'; args: string[]; exists?: (p: string) => boolean }): Launch {
  const exists = opts.exists ?? fs.existsSync;
  const src = path.join(opts.workspace, 'runtime', 'cli', `${opts.cli}.ts`);
  const useSource = opts.mode === 'source' || (opts.mode === 'auto' && exists(src) && exists(path.join(opts.workspace, 'node_modules', 'tsx')));
  const script = useSource ? ['--import', 'tsx', src] : [path.join(opts.extensionDir, 'dist', 'cli', `${opts.cli}.js`)];
  return { command: opts.node || 'node', args: [...script, ...opts.args], cwd: opts.workspace };
}

/** Progress of a run from its events: for the notification and the status bar. */
export interface RunProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss?: number;
  /** Fraction 0..1 of the whole schedule done. */
  fraction: number;
  /** Seconds left, from the pace so far. */
  etaS?: number;
  done: boolean;
}

/** Folds events into progress (pass the previous progress to continue with appended events). */
export function foldProgress(prev: RunProgress | undefined, events: readonly RunEvent[], nowMs: number, startMs: number): RunProgress {
  const p: RunProgress = prev ? { ...prev } : { epoch: 0, epochs: 0, step: 0, stepsPerEpoch: 0, fraction: 0, done: false };
  let base = p.epoch;
  for (const e of events) {
    if (e.type === 'run_start') {
      p.epochs = e.epochs;
      p.stepsPerEpoch = e.steps_per_epoch;
      base = e.resumed_from?.epoch ?? 0;
      p.epoch = base;
    } else if (e.type === 'step') {
      p.epoch = e.epoch - 1;
      p.step = e.step;
      p.loss = e.loss;
    } else if (e.type === 'epoch' && e.epoch > 0) {
      p.epoch = e.epoch;
      p.step = 0;
      if (e.train) p.loss = e.train.loss;
    } else if (e.type === 'run_end') p.done = true;
  }
  const total = p.epochs * Math.max(1, p.stepsPerEpoch);
  const done = p.epoch * Math.max(1, p.stepsPerEpoch) + p.step;
  p.fraction = total > 0 ? Math.min(1, done / total) : 0;
  const doneSinceStart = done - base * Math.max(1, p.stepsPerEpoch);
  p.etaS = doneSinceStart > 0 && total > 0 ? ((nowMs - startMs) / 1000 / doneSinceStart) * (total - done) : undefined;
  return p;
}

/** `epoch 3/10 · loss 1.234 · ETA 2m05s`. */
export function progressMessage(p: RunProgress, fmt: (s: number) => string): string {
  const parts = [`epoch ${Math.min(p.epoch + (p.step > 0 ? 1 : 0), p.epochs)}/${p.epochs}`];
  if (p.loss !== undefined) parts.push(`loss ${p.loss.toFixed(3)}`);
  if (p.etaS !== undefined) parts.push(`ETA ${fmt(p.etaS)}`);
  return parts.join(' · ');
}

/** A dataset download in progress, from the runtime's plain progress line. */
export interface DownloadLine {
  file: string;
  percent: number;
  /** e.g. `73.2 of 162.6 MB, 5.1 MB/s, ETA 17s` */
  detail: string;
}

/**
 * Reads a runtime download progress line (runtime/train/progress.ts, DownloadProgress:
 * `… INFO: download FILE: 45% (73.2 of 162.6 MB, 5.1 MB/s, ETA 17s)`); undefined for other lines.
 */
export function parseDownloadLine(line: string): DownloadLine | undefined {
  const m = /\bINFO: download (\S+): (\d+)% \((.*)\)$/.exec(line);
  return m ? { file: m[1], percent: Number(m[2]), detail: m[3] } : undefined;
}

/** `downloading cifar-10-python.tar.gz 45% (73.2 of 162.6 MB, 5.1 MB/s, ETA 17s)`. */
export function downloadMessage(d: DownloadLine): string {
  return `downloading ${d.file} ${d.percent}% (${d.detail})`;
}
