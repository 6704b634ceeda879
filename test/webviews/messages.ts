/**
 * The recorded host messages fed to the webviews by test/webviews/webviews.cjs, typed against the panels'
 * contracts (webviews/<panel>/contract.ts) so `npm run typecheck` rejects a message the host could not send.
 * Recorded shapes: what extension/curves and extension/results post for two runs of the fixture kind.
 */
import { Metric, ToCurves, type CurvesHostMessage, type Point } from '../../webviews/curves/contract';
import { ToResults, type ResultsHostMessage } from '../../webviews/results/contract';

/** `n` points from step `from` (every 10 steps, 100 steps an epoch, 0.5 s a step) of a decaying curve. */
function curve(n: number, from: number, y0: number, decay: number): Point[] {
  return Array.from({ length: n }, (_, i) => {
    const step = from + 10 * i;
    return { step, epoch: step / 100, time: step * 0.5, y: y0 * Math.exp(-decay * step) + 0.05 * Math.sin(step) };
  });
}

/** A finished run (40 train points, 4 val points a metric) and a running one (12 and 1). */
export const curvesSnapshot: CurvesHostMessage = {
  type: ToCurves.Snapshot,
  options: { xAxis: 'step', logY: false, smoothing: 0.6 },
  runs: [
    {
      id: 'experiments/wrn-28-10-a',
      name: 'wrn-28-10-a',
      color: '#4e79a7',
      state: 'completed',
      series: {
        [Metric.TrainLoss]: curve(40, 0, 2.3, 0.004),
        [Metric.ValLoss]: curve(4, 100, 2.0, 0.004),
        [Metric.TrainError]: curve(40, 0, 90, 0.003),
        [Metric.ValError]: curve(4, 100, 85, 0.003),
        [Metric.Lr]: curve(40, 0, 0.1, 0.001),
        [Metric.ImagesPerSec]: curve(40, 0, 1200, 0),
      },
    },
    {
      id: 'experiments/resnet-20-b',
      name: 'resnet-20-b',
      color: '#f28e2b',
      state: 'running',
      series: {
        [Metric.TrainLoss]: curve(12, 0, 2.3, 0.006),
        [Metric.ValLoss]: curve(1, 100, 2.1, 0.006),
        [Metric.TrainError]: curve(12, 0, 90, 0.005),
        [Metric.ValError]: curve(1, 100, 86, 0.005),
        [Metric.Lr]: curve(12, 0, 0.1, 0),
        [Metric.ImagesPerSec]: curve(12, 0, 3000, 0),
      },
    },
  ],
};

/** Live points of the running run: 5 more train points a metric and one validation point. */
export const curvesAppend: CurvesHostMessage = {
  type: ToCurves.Append,
  runId: 'experiments/resnet-20-b',
  state: 'running',
  points: {
    [Metric.TrainLoss]: curve(5, 120, 2.3, 0.006),
    [Metric.ValLoss]: curve(1, 200, 2.1, 0.006),
    [Metric.TrainError]: curve(5, 120, 90, 0.005),
    [Metric.ValError]: curve(1, 200, 86, 0.005),
    [Metric.Lr]: curve(5, 120, 0.1, 0),
    [Metric.ImagesPerSec]: curve(5, 120, 3000, 0),
  },
};

/**
 * The awkward cases, at smoothing 0: a failed run whose train loss has a NaN (sent as null, as JSON
 * carries it), an Inf and a finite 3.5e19 spike, and whose validation series have a single point; an lr
 * of 0 (nothing to draw on a log axis).
 */
export const curvesEdgeCases: CurvesHostMessage = {
  type: ToCurves.Snapshot,
  options: { xAxis: 'step', logY: false, smoothing: 0, ignoreOutliers: true, yRange: {} },
  runs: [
    {
      id: 'experiments/diverged',
      name: 'diverged',
      color: 'var(--vscode-charts-red, #d64550)',
      state: 'failed',
      series: {
        [Metric.TrainLoss]: curve(30, 0, 2.3, 0.004).map((p, i) => ({ ...p, y: i === 10 ? (null as unknown as number) : i === 20 ? Infinity : i === 25 ? 3.5e19 : p.y })),
        [Metric.ValLoss]: curve(1, 100, 2.0, 0.004),
        [Metric.TrainError]: curve(1, 100, 90, 0.003),
        [Metric.ValError]: curve(1, 100, 85, 0.003),
        [Metric.Lr]: curve(30, 0, 0.1, 0.001).map((p, i) => ({ ...p, y: i === 0 ? 0 : p.y })),
        [Metric.ImagesPerSec]: curve(30, 0, 1200, 0),
      },
    },
  ],
};

/** Two runs beside three of the five reference rows of their models (closest first). */
export const resultsSnapshot: ResultsHostMessage = {
  type: ToResults.Snapshot,
  paramKeys: ['train.base_lr'],
  sort: { key: 'lastError', descending: false },
  referenceTotal: 5,
  allReference: false,
  rows: [
    {
      id: 'experiments/wrn-28-10-a', name: 'wrn-28-10-a', state: 'completed', model: 'wrn', dataset: 'CIFAR10',
      params: { 'train.base_lr': '0.1' }, nParams: 36479194, epoch: 200, epochs: 200, bestError: 4.01, lastError: 4.12, valSet: 'test', offTest: false,
      trainSeconds: 151200, backend: 'libtorch', refIndex: 0, refDiff: 0.12, caveats: [],
    },
    {
      id: 'experiments/resnet-20-b', name: 'resnet-20-b', state: 'running', model: 'resnet', dataset: 'CIFAR10',
      params: { 'train.base_lr': '0.2' }, nParams: 272474, epoch: 37, epochs: 160, bestError: 9.5, lastError: 10.25, valSet: 'held-out 5000', offTest: true,
      trainSeconds: 1830, backend: 'wasm', refIndex: 1, refDiff: 2.55, caveats: ['37 epochs trained so far, the reference 160', 'trained on the first 1536 training images only (dataset.max_train_samples 1536)'],
    },
  ],
  reference: [
    { table: 'wrn', dataset: 'CIFAR10', model: 'WRN-28-10', projectError: 4.0, stat: 'median of 1', paper: '3.89 (median of 5 runs)', paperError: 3.89, epochs: 200, overrides: { 'model.wrn.depth': '28', 'model.wrn.widening_factor': '10' }, matchedBy: ['experiments/wrn-28-10-a'] },
    { table: 'resnet', dataset: 'CIFAR10', model: 'ResNet-20', projectError: 7.7, stat: null, paper: '8.75', paperError: 8.75, epochs: 160, overrides: { 'model.resnet.depth': '20' }, matchedBy: ['experiments/resnet-20-b'] },
    { table: 'resnet', dataset: 'CIFAR10', model: 'ResNet-56', projectError: null, stat: null, paper: '6.97', paperError: 6.97, epochs: 160, overrides: { 'model.resnet.depth': '56' }, matchedBy: [] },
  ],
};
