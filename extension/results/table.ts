/**
 * The Results table (pure): one row per run with the hyper-parameters that differ between the runs,
 * the closest rows of the papers' and the original framework's tables with the difference, sorting,
 * and export as CSV, Markdown and LaTeX.
 */
import { configToPlainObject, defaultConfig } from '../../runtime/config/index';
import type { ExportFormat, ReferenceRow, ResultRow, SortState } from '../../webviews/results/contract';
import { validatesOffTest, type RunSummary } from '../runs/collect';
import { csvLine } from '../util/csv';

/** The shape of paper_results.json (only what is used). */
export interface PaperResults {
  tables: Array<{
    id: string;
    dataset: string;
    rows: Array<{
      dataset: string;
      model: string;
      config: { base_yaml?: string; overrides?: Record<string, unknown> };
      test_error: number | null;
      test_error_stat: string | null;
      paper_test_error?: Array<{ value: number; stat?: string; plus_minus?: number; approximate?: boolean }>;
      epochs: number | null;
    }>;
  }>;
}

/** Keys that differ between runs without being hyper-parameters. */
const IGNORED = /^(train\.(output_dir|resume|checkpoint|log_period|checkpoint_period|use_tensorboard|dist\..*)|test\..*|dataset\.dataset_dir|num_threads|.*\.num_workers|.*\.pin_memory|.*\.non_blocking|cudnn\..*|tensorboard\..*)$/;

/** Flattens a nested config into dotted keys -> value text. */
export function flatten(obj: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  } else out[prefix] = Array.isArray(obj) ? `[${obj.join(', ')}]` : String(obj);
  return out;
}

/** Sections of other models than the run's are not its hyper-parameters. */
const relevant = (key: string, flat: Record<string, string>): boolean => {
  const m = /^model\.(\w+)\./.exec(key);
  return !m || m[1] === flat['model.name'];
};

/** Dotted keys whose values differ between the configs (sorted). */
export function differingKeys(configs: ReadonlyArray<Record<string, unknown> | undefined>): string[] {
  const flats = configs.map((c) => flatten(c ?? {}));
  const keys = new Set<string>();
  for (const f of flats) for (const k of Object.keys(f)) if (!IGNORED.test(k) && relevant(k, f)) keys.add(k);
  return [...keys].filter((k) => new Set(flats.filter((f) => relevant(k, f)).map((f) => f[k] ?? '')).size > 1).sort();
}

/** `CIFAR-10` -> `CIFAR10`, `Kuzushiji-MNIST` -> `KMNIST`. */
export function normDataset(name: string): string {
  const n = name.replace(/-/g, '');
  return n === 'KuzushijiMNIST' ? 'KMNIST' : n;
}

const modelOfOverrides = (o: Record<string, unknown>, baseYaml?: string): string | undefined =>
  (o['model.name'] as string | undefined) ?? /configs\/cifar\/(\w+)\.yaml$/.exec(baseYaml ?? '')?.[1];

const paperText = (p: PaperResults['tables'][0]['rows'][0]['paper_test_error']): string =>
  (p ?? []).map((v) => `${v.approximate ? '~' : ''}${v.value.toFixed(2)}${v.plus_minus !== undefined ? `±${v.plus_minus}` : ''}${v.stat ? ` (${v.stat})` : ''}`).join('; ');

/**
 * Every reference row of the runs' datasets and model families that has a number to compare with
 * (the original framework's or the paper's), in the file's order.
 */
export function candidateReferenceRows(data: PaperResults, runs: readonly RunSummary[]): ReferenceRow[] {
  const out: ReferenceRow[] = [];
  for (const t of data.tables) {
    for (const r of t.rows) {
      const o = r.config.overrides ?? {};
      const model = modelOfOverrides(o, r.config.base_yaml);
      const paperError = r.paper_test_error?.[0]?.value ?? null;
      if (r.test_error === null && paperError === null) continue;
      if (!runs.some((run) => run.model === model && normDataset(r.dataset) === run.dataset)) continue;
      out.push({
        table: t.id,
        dataset: r.dataset,
        model: r.model,
        projectError: r.test_error,
        stat: r.test_error_stat,
        paper: paperText(r.paper_test_error),
        paperError,
        epochs: r.epochs,
        overrides: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(', ')}]` : String(v)])),
        matchedBy: [],
      });
    }
  }
  return out;
}

/** Reference rows closest to each run by default. */
export const REFERENCE_PER_RUN = 5;

/**
 * The reference rows to show beside `runs`: the `perRun` closest rows of each run (same dataset and
 * model family; by {@link matchScore}, ties in the file's order), or all of them with `all`; ordered
 * closest first (by the best score over the runs). `total`: how many rows the runs' datasets and
 * model families have.
 */
export function referenceRows(data: PaperResults, runs: readonly RunSummary[], opts: { all?: boolean; perRun?: number } = {}): { rows: ReferenceRow[]; total: number } {
  const candidates = candidateReferenceRows(data, runs);
  const best = new Map<number, number>();
  for (const run of runs) {
    const scored = candidates.flatMap((ref, i) => {
      const s = matchScore(ref, run);
      return s === undefined ? [] : [{ i, s }];
    });
    scored.sort((a, b) => b.s - a.s || a.i - b.i);
    for (const { i, s } of opts.all ? scored : scored.slice(0, opts.perRun ?? REFERENCE_PER_RUN)) best.set(i, Math.max(best.get(i) ?? -Infinity, s));
  }
  const order = [...best.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0]).map(([i]) => i);
  return { rows: order.map((i) => candidates[i]), total: candidates.length };
}

let defaultsCache: Record<string, string> | undefined;
const defaultsFlat = (): Record<string, string> => (defaultsCache ??= flatten(configToPlainObject(defaultConfig())));

/** Weight of an override in {@link matchScore}: the depth says most about the network, a switched-on method more than a setting. */
const overrideWeight = (key: string): number => (/^model\.\w+\.depth$/.test(key) ? 4 : /\.use_\w+$/.test(key) ? 2 : 1);

/** What a different value costs: a depth 2 to 4 by how far it is (a factor of 4 or more costs 4), else the weight. */
const mismatchWeight = (key: string, have: string, want: string): number => {
  const w = overrideWeight(key);
  const [a, b] = [Number(have), Number(want)];
  if (w !== 4 || !(a > 0 && b > 0)) return w;
  return 2 + 2 * Math.min(1, Math.abs(Math.log(a / b)) / Math.log(4));
};

/** A setting of an augmentation the run does not use (`augmentation.ricap.beta` without `use_ricap`) says nothing. */
const unusedSetting = (key: string, flat: Record<string, string>): boolean => {
  const m = /^augmentation\.(\w+)\./.exec(key);
  if (!m) return false;
  const users = m[1] === 'cutout' ? ['use_cutout', 'use_dual_cutout'] : [`use_${m[1]}`];
  return users.every((u) => flat[`augmentation.${u}`] === 'false');
};

/**
 * How close a reference row is to a run: plus the weight of each override the run's config has with
 * the same value (a depth 4, an on/off switch 2, others 1), minus it for each with another value (a
 * depth 2 to 4, by how far it is),
 * plus 1 for the same epochs; keys the run's config lacks take their defaults, and the settings of an
 * augmentation the run does not use are skipped. Undefined when the dataset or the model family
 * differs (not comparable).
 */
export function matchScore(ref: ReferenceRow, run: RunSummary): number | undefined {
  // Keys a run's config lacks (an older runtime, a partial config) have their default values.
  const flat = { ...defaultsFlat(), ...flatten(run.config ?? {}) };
  if (normDataset(ref.dataset) !== run.dataset) return undefined;
  const model = ref.overrides['model.name'];
  if (model !== undefined ? model !== run.model : run.model === undefined) return undefined;
  let score = 0;
  for (const [k, v] of Object.entries(ref.overrides)) {
    const have = flat[k];
    if (k === 'model.name' || have === undefined || unusedSetting(k, flat)) continue;
    const same = have === v || (v.trim() !== '' && have.trim() !== '' && Number(have) === Number(v));
    score += same ? overrideWeight(k) : -mismatchWeight(k, have, v);
  }
  if (ref.epochs !== null && run.epochs === ref.epochs) score++;
  return score;
}

/** What a run's errors were measured on, for the table: `test`, `held-out 200`, `none`. */
export function valSetText(run: Pick<RunSummary, 'valSplit'>): string {
  const v = run.valSplit;
  if (!v || v.source === 'test') return 'test';
  return v.source === 'none' ? 'none' : `held-out ${v.n}`;
}

/** The text of a difference to a reference row's test error; marked when the run's error is not a test error, or says why there is none. */
export function diffText(r: Pick<ResultRow, 'refDiff' | 'offTest' | 'noDiff'>): string {
  if (r.refDiff === undefined) return r.noDiff ? `none (${r.noDiff})` : '';
  return `${r.refDiff > 0 ? '+' : ''}${r.refDiff.toFixed(2)}${r.offTest ? ' (held-out val vs test)' : ''}`;
}

/** Architecture keys a reference row may set: the depth and the width (widening factor, channels, cardinality, growth rate, PyramidNet's alpha). */
const SHAPE_KEY = /^model\.\w+\.(depth|widening_factor|initial_channels|base_channels|cardinality|growth_rate|alpha)$/;

/** A reference row trained at least this many times the run's epochs is "far" longer. */
export const FAR_FEWER_EPOCHS = 2;

/**
 * Why `run` is not like for like with the reference row `ref`, in words: trained on a subset of the
 * training images (`dataset.max_train_samples`), measured on a subset of the test images
 * (`dataset.max_test_samples`), far fewer epochs than the row (under 1/{@link FAR_FEWER_EPOCHS}),
 * or another depth or width than the row sets. Empty when nothing is known to differ.
 */
export function comparisonCaveats(run: RunSummary, ref: ReferenceRow): string[] {
  const flat = { ...defaultsFlat(), ...flatten(run.config ?? {}) };
  const out: string[] = [];
  const nTrain = Number(flat['dataset.max_train_samples']);
  if (nTrain > 0) out.push(`trained on the first ${nTrain} training images only (dataset.max_train_samples ${nTrain})`);
  const nTest = Number(flat['dataset.max_test_samples']);
  if (nTest > 0) out.push(`error measured on the first ${nTest} test images only (dataset.max_test_samples ${nTest})`);
  if (ref.epochs !== null && run.epoch * FAR_FEWER_EPOCHS <= ref.epochs) {
    out.push(`${run.epoch} epoch${run.epoch === 1 ? '' : 's'} trained${run.state === 'running' ? ' so far' : ''}, the reference ${ref.epochs}`);
  }
  for (const [k, v] of Object.entries(ref.overrides)) {
    const have = flat[k];
    if (!SHAPE_KEY.test(k) || have === undefined || have === v || Number(have) === Number(v)) continue;
    out.push(`${k.split('.').pop()} ${have}, the reference ${v} (${k})`);
  }
  return out;
}

/** Why a run gets no difference to a reference row: it failed, or never trained (only the validation before training, or nothing). */
export function noDiffReason(run: Pick<RunSummary, 'state' | 'lastError'>): string | undefined {
  if (run.state === 'failed') return 'failed';
  if (run.lastError === undefined) return run.state === 'running' ? 'no epoch yet' : 'never trained';
  return undefined;
}

/** The rows of the runs, with the closest reference row each (marked in `reference`). */
export function resultRows(runs: readonly RunSummary[], reference: ReferenceRow[]): { rows: ResultRow[]; paramKeys: string[] } {
  const paramKeys = differingKeys(runs.map((r) => r.config));
  const rows = runs.map((run): ResultRow => {
    const flat = flatten(run.config ?? {});
    let best = -Infinity;
    let refIndex: number | undefined;
    reference.forEach((ref, i) => {
      const s = matchScore(ref, run);
      if (s !== undefined && s > best) {
        best = s;
        refIndex = i;
      }
    });
    const ref = refIndex !== undefined ? reference[refIndex] : undefined;
    if (ref) ref.matchedBy.push(run.dir);
    const refError = ref?.projectError ?? ref?.paperError ?? undefined;
    const noDiff = ref ? noDiffReason(run) : undefined;
    return {
      id: run.dir,
      name: run.name,
      state: run.state,
      model: run.model ? `${run.model}${run.depth ? `-${run.depth}` : ''}` : '',
      dataset: run.dataset ?? '',
      params: Object.fromEntries(paramKeys.map((k) => [k, flat[k] ?? ''])),
      nParams: run.params,
      epoch: run.epoch,
      epochs: run.epochs,
      bestError: run.bestError,
      lastError: run.lastError,
      valSet: valSetText(run),
      offTest: validatesOffTest(run),
      trainSeconds: run.trainSeconds,
      backend: run.backend,
      refIndex,
      refDiff: refError !== undefined && run.lastError !== undefined && !noDiff ? Math.round((run.lastError - refError) * 100) / 100 : undefined,
      caveats: ref && !noDiff ? comparisonCaveats(run, ref) : [],
      ...(noDiff ? { noDiff } : {}),
    };
  });
  return { rows, paramKeys };
}

/** Rows sorted by a column (missing values last). */
export function sortRows(rows: readonly ResultRow[], sort: SortState): ResultRow[] {
  const dir = sort.descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[sort.key];
    const y = b[sort.key];
    if (x === undefined || x === null) return y === undefined || y === null ? 0 : 1;
    if (y === undefined || y === null) return -1;
    return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
  });
}

const fmt = (n: number | undefined, d = 2): string => (n === undefined ? '' : n.toFixed(d));

/** The table as text cells: header then one line per row. */
export function tableCells(rows: readonly ResultRow[], paramKeys: readonly string[], reference: readonly ReferenceRow[]): string[][] {
  const header = ['run', 'model', 'dataset', ...paramKeys, 'params', 'epochs', 'best error %', 'last error %', 'validated on', 'time s', 'backend', 'reference', 'reference error %', 'diff', 'not like for like'];
  const body = rows.map((r) => {
    const ref = r.refIndex !== undefined ? reference[r.refIndex] : undefined;
    return [
      r.name, r.model, r.dataset, ...paramKeys.map((k) => r.params[k] ?? ''),
      r.nParams === undefined ? '' : String(r.nParams), `${r.epoch}${r.epochs !== undefined ? `/${r.epochs}` : ''}`,
      fmt(r.bestError), fmt(r.lastError), r.valSet, fmt(r.trainSeconds, 0), r.backend ?? '',
      ref ? ref.model : '', ref ? fmt(ref.projectError ?? ref.paperError ?? undefined) : '', diffText(r), r.caveats.join('; '),
    ];
  });
  return [header, ...body];
}

/**
 * A Markdown table cell holds one line of text: `<` and `>` as `&lt;` and `&gt;` (no HTML tag), an
 * `&` that would start an entity as `&amp;`, `|` escaped, line breaks as `<br>`.
 */
const mdCell = (s: string): string => s.replace(/&(?=#?\w+;)/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
const TEX_ESCAPES: Record<string, string> = { '\\': '\\textbackslash{}', '~': '\\textasciitilde{}', '^': '\\textasciicircum{}', '&': '\\&', '%': '\\%', $: '\\$', '#': '\\#', _: '\\_', '{': '\\{', '}': '\\}' };
/** A LaTeX cell: the special characters escaped in one pass (so the braces of `\\textbackslash{}` stay), line breaks as spaces. */
const texCell = (s: string): string => s.replace(/\r?\n/g, ' ').replace(/[\\~^&%$#_{}]/g, (c) => TEX_ESCAPES[c]);

/** The table in an export format. */
export function exportTable(cells: readonly string[][], format: ExportFormat): string {
  const [header, ...body] = cells;
  if (format === 'csv') return `${cells.map(csvLine).join('\n')}\n`;
  if (format === 'markdown') {
    return `${[`| ${header.map(mdCell).join(' | ')} |`, `|${header.map(() => '---').join('|')}|`, ...body.map((r) => `| ${r.map(mdCell).join(' | ')} |`)].join('\n')}\n`;
  }
  return [
    `\\begin{tabular}{${header.map(() => 'l').join('')}}`,
    '\\hline',
    `${header.map(texCell).join(' & ')} \\\\`,
    '\\hline',
    ...body.map((r) => `${r.map(texCell).join(' & ')} \\\\`),
    '\\hline',
    '\\end{tabular}',
    '',
  ].join('\n');
}
