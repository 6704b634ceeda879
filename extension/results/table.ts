/**
 * The Results table (pure): one row per run with the hyper-parameters that differ between the runs,
 * the closest rows of the papers' and the original framework's tables with the difference, sorting,
 * and export as CSV, Markdown and LaTeX.
 */
import type { ExportFormat, ReferenceRow, ResultRow, SortState } from '../../webviews/results/contract';
import type { RunSummary } from '../runs/collect';

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

/** The reference rows of the runs' datasets and models (any depth: the closest match prefers the same depth). */
export function referenceRows(data: PaperResults, runs: readonly RunSummary[]): ReferenceRow[] {
  const out: ReferenceRow[] = [];
  for (const t of data.tables) {
    for (const r of t.rows) {
      const o = r.config.overrides ?? {};
      const model = modelOfOverrides(o, r.config.base_yaml);
      const fits = runs.some((run) => run.model === model && normDataset(r.dataset) === run.dataset);
      if (!fits) continue;
      out.push({
        table: t.id,
        dataset: r.dataset,
        model: r.model,
        projectError: r.test_error,
        stat: r.test_error_stat,
        paper: paperText(r.paper_test_error),
        paperError: r.paper_test_error?.[0]?.value ?? null,
        epochs: r.epochs,
        overrides: Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Array.isArray(v) ? `[${v.join(', ')}]` : String(v)])),
        matchedBy: [],
      });
    }
  }
  return out;
}

/**
 * How close a reference row is to a run: one point per override (and the epochs) the run's config
 * has, three more for the same depth; -1 if the dataset or model differs.
 */
export function matchScore(ref: ReferenceRow, run: RunSummary): number {
  const flat = flatten(run.config ?? {});
  if (normDataset(ref.dataset) !== run.dataset) return -1;
  if (ref.overrides['model.name'] !== undefined && ref.overrides['model.name'] !== run.model) return -1;
  let score = 0;
  for (const [k, v] of Object.entries(ref.overrides)) {
    const have = flat[k];
    if (have !== undefined && (have === v || (v.trim() !== '' && Number(have) === Number(v)))) score += /^model\.\w+\.depth$/.test(k) ? 4 : 1;
  }
  if (ref.epochs !== null && run.epochs === ref.epochs) score++;
  return score;
}

/** The rows of the runs, with the closest reference row each (marked in `reference`). */
export function resultRows(runs: readonly RunSummary[], reference: ReferenceRow[]): { rows: ResultRow[]; paramKeys: string[] } {
  const paramKeys = differingKeys(runs.map((r) => r.config));
  const rows = runs.map((run): ResultRow => {
    const flat = flatten(run.config ?? {});
    let best = -1;
    let refIndex: number | undefined;
    reference.forEach((ref, i) => {
      const s = matchScore(ref, run);
      if (s > best && (ref.projectError !== null || ref.paperError !== null)) {
        best = s;
        refIndex = i;
      }
    });
    const ref = refIndex !== undefined ? reference[refIndex] : undefined;
    if (ref) ref.matchedBy.push(run.dir);
    const refError = ref?.projectError ?? ref?.paperError ?? undefined;
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
      trainSeconds: run.trainSeconds,
      backend: run.backend,
      refIndex,
      refDiff: refError !== undefined && run.lastError !== undefined ? Math.round((run.lastError - refError) * 100) / 100 : undefined,
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
  const header = ['run', 'model', 'dataset', ...paramKeys, 'params', 'epochs', 'best error %', 'last error %', 'time s', 'backend', 'reference', 'reference error %', 'diff'];
  const body = rows.map((r) => {
    const ref = r.refIndex !== undefined ? reference[r.refIndex] : undefined;
    return [
      r.name, r.model, r.dataset, ...paramKeys.map((k) => r.params[k] ?? ''),
      r.nParams === undefined ? '' : String(r.nParams), `${r.epoch}${r.epochs !== undefined ? `/${r.epochs}` : ''}`,
      fmt(r.bestError), fmt(r.lastError), fmt(r.trainSeconds, 0), r.backend ?? '',
      ref ? ref.model : '', ref ? fmt(ref.projectError ?? ref.paperError ?? undefined) : '', r.refDiff === undefined ? '' : `${r.refDiff > 0 ? '+' : ''}${r.refDiff.toFixed(2)}`,
    ];
  });
  return [header, ...body];
}

const csvCell = (s: string): string => (/[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
const mdCell = (s: string): string => s.replace(/\|/g, '\\|');
const texCell = (s: string): string => s.replace(/\\/g, '\\textbackslash{}').replace(/([&%$#_{}])/g, '\\$1').replace(/~/g, '\\textasciitilde{}').replace(/\^/g, '\\textasciicircum{}');

/** The table in an export format. */
export function exportTable(cells: readonly string[][], format: ExportFormat): string {
  const [header, ...body] = cells;
  if (format === 'csv') return `${cells.map((r) => r.map(csvCell).join(',')).join('\n')}\n`;
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
