/**
 * `npm run summary -- [--config FILE] [key value …]`
 * Builds the configured model, traces one forward pass of a zero image in evaluation mode, prints a
 * layer table (name, type, output shape NHWC, parameters, MACs) and a final JSON line
 * `{"model":…,"params":…,"macs":…,"output_shape":[…]}`. MACs count convolutions and linear
 * layers (multiply-accumulates for one image), as thop reports them for these models.
 */
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, toDevice } from '../backend';
import { countParams, createModel } from '../models';
import { traceLayers } from '../models/layers';
import type { SummaryResultLine } from '../protocol/results';
import { parseConfigCli, printJsonLine, runCli } from './main';

const USAGE = 'Usage: npm run summary -- [--config FILE.yaml] [key value ...]';

runCli(async () => {
  const cli = parseConfigCli(USAGE);
  if (!cli) return 0;
  const cfg = cli.config;
  await initBackend(toDevice(cfg.device), cfg.num_threads);
  const model = createModel(cfg);
  const s = cfg.dataset.image_size;
  const x = tf.zeros([1, s, s, cfg.dataset.n_channels]) as tf.Tensor4D;
  const { result, layers } = traceLayers(() => tf.tidy(() => model.apply(x, false)));
  const rows = layers.map((l) => [l.name, l.type, `[${l.outputShape.join(', ')}]`, l.params.toLocaleString('en-US'), l.macs.toLocaleString('en-US')]);
  const header = ['layer', 'type', 'output shape', 'params', 'MACs'];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((v, i) => (i >= 3 ? v.padStart(widths[i]) : v.padEnd(widths[i]))).join('  ');
  const out = [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)];
  const params = countParams(model);
  const macs = layers.reduce((a, l) => a + l.macs, 0);
  out.push('', `${cfg.model.type}/${cfg.model.name}: ${params.toLocaleString('en-US')} parameters, ${macs.toLocaleString('en-US')} MACs per image`);
  process.stdout.write(`${out.join('\n')}\n`);
  printJsonLine({ model: cfg.model.name, params, macs, output_shape: result.shape } satisfies SummaryResultLine);
  tf.dispose([x, result]);
  model.dispose();
  return 0;
});
