/**
 * Reading a run's last evaluation (runtime/protocol/evaluation.ts: eval/metrics.json, classes.json,
 * gallery.json) into what the Runs view, the experiments table and the Evaluation panel show, and
 * comparing two evaluations class by class. Pure apart from reading the files it is given.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  EVAL_CLASSES_FILE, EVAL_DIR, EVAL_GALLERY_FILE, EVAL_METRICS_FILE, classReportProblem, galleryProblem,
  type ClassReport, type EvalMetricsFile, type Gallery,
} from '../../runtime/protocol/evaluation';
import type { ClassComparisonRow, EvalView } from '../../webviews/evaluation/contract';

/** What a run summary carries of its last evaluation. */
export interface EvalSummary {
  /** Test top-1 error, percent (4 decimals). */
  testError: number;
  /** Test images. */
  testImages: number;
  /** File name of the checkpoint evaluated. */
  evalCheckpoint: string;
}

const pct = (accuracy: number): number => Math.round((1 - accuracy) * 1e6) / 1e4;

/** `eval/metrics.json` of a run when it is there and well-formed, else undefined. */
export function readEvalMetrics(runDir: string): EvalMetricsFile | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(runDir, EVAL_DIR, EVAL_METRICS_FILE), 'utf8')) as Partial<EvalMetricsFile>;
    if (typeof m.accuracy !== 'number' || typeof m.n !== 'number' || typeof m.loss !== 'number') return undefined;
    return { ...m, checkpoint: typeof m.checkpoint === 'string' ? m.checkpoint : '' } as EvalMetricsFile;
  } catch {
    return undefined;
  }
}

/** The summary of a run's last evaluation, when it has one. */
export function evalSummary(runDir: string): EvalSummary | undefined {
  const m = readEvalMetrics(runDir);
  return m && { testError: pct(m.accuracy), testImages: m.n, evalCheckpoint: path.basename(m.checkpoint) };
}

/**
 * `evalSummary` of many runs, re-read only when a run's metrics.json changed (size and mtime), so a
 * rescan of hundreds of runs stats one file each.
 */
export class EvalSummaries {
  private readonly cache = new Map<string, { key: string; summary: EvalSummary | undefined }>();

  of(runDir: string): EvalSummary | undefined {
    let key = '';
    try {
      const st = fs.statSync(path.join(runDir, EVAL_DIR, EVAL_METRICS_FILE));
      key = `${st.size}:${st.mtimeMs}`;
    } catch {
      this.cache.delete(runDir);
      return undefined;
    }
    const hit = this.cache.get(runDir);
    if (hit?.key === key) return hit.summary;
    const summary = evalSummary(runDir);
    this.cache.set(runDir, { key, summary });
    return summary;
  }
}

const readJson = (file: string): unknown => JSON.parse(fs.readFileSync(file, 'utf8'));

/**
 * A run's last evaluation as the Evaluation panel draws it.
 * @returns the view, or a problem in one sentence (no evaluation yet; files unreadable or of two evaluations)
 */
export function readEvalView(runDir: string, name: string): { view: EvalView } | { problem: string } {
  const dir = path.join(runDir, EVAL_DIR);
  const metrics = readEvalMetrics(runDir);
  if (!metrics) return { problem: `${name} has no evaluation yet: run Evaluate Checkpoint on it.` };
  let report: ClassReport;
  try {
    const r = readJson(path.join(dir, EVAL_CLASSES_FILE));
    const bad = classReportProblem(r);
    if (bad) return { problem: `${path.join(dir, EVAL_CLASSES_FILE)}: ${bad}; evaluate the checkpoint again.` };
    report = r as ClassReport;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    return { problem: missing ? `${name}'s evaluation has no per-class figures (an older runtime wrote it): evaluate the checkpoint again.` : `${path.join(dir, EVAL_CLASSES_FILE)}: ${(err as Error).message}` };
  }
  if (metrics.id !== undefined && report.id !== metrics.id) {
    return { problem: `${dir}: classes.json and metrics.json are of two evaluations (one was interrupted): evaluate the checkpoint again.` };
  }
  return { view: { ...viewOf(name, runDir, metrics, report), gallery: readGallery(dir, report.id) } };
}

function viewOf(name: string, runDir: string, m: EvalMetricsFile, r: ClassReport): Omit<EvalView, 'gallery'> {
  return {
    id: runDir,
    name,
    checkpoint: path.basename(m.checkpoint || r.checkpoint),
    time: m.time,
    n: r.n,
    loss: m.loss,
    error: pct(m.accuracy),
    error5: m.accuracy5 === undefined ? undefined : pct(m.accuracy5),
    classes: r.classes,
    confusion: r.confusion,
    perClass: r.per_class,
    macro: r.macro,
  };
}

function readGallery(dir: string, id: string): EvalView['gallery'] {
  try {
    const g = readJson(path.join(dir, EVAL_GALLERY_FILE));
    if (galleryProblem(g) || (g as Gallery).id !== id) return null;
    const { height, width, per_cell: perCell, top, wrong, images } = g as Gallery;
    return { height, width, perCell, top, wrong, images };
  } catch {
    return null;
  }
}

const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.round((b - a) * 1e6) / 1e4);

/**
 * Two evaluations class by class: B's accuracy and F1 minus A's in percentage points.
 * @returns the rows, or a problem when the classes differ (other datasets)
 */
export function compareEvaluations(a: EvalView, b: EvalView): { rows: ClassComparisonRow[] } | { problem: string } {
  if (a.classes.length !== b.classes.length || a.classes.some((c, i) => c !== b.classes[i])) {
    return { problem: `${a.name} and ${b.name} have different classes (${a.classes.length} and ${b.classes.length}): they cannot be compared class by class.` };
  }
  return {
    rows: a.classes.map((name, i) => ({
      name,
      a: a.perClass[i],
      b: b.perClass[i],
      accuracyDiff: diff(a.perClass[i].accuracy, b.perClass[i].accuracy),
      f1Diff: diff(a.perClass[i].f1, b.perClass[i].f1),
    })),
  };
}
