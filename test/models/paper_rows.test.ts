/**
 * Every configuration the original's README trains (all 362 rows of its 45 result tables, 46 distinct
 * (network, dataset) pairs) builds exactly the parameter count that the original's code builds.
 *
 * The expected counts in paper_rows.json were obtained by running the original's own `Network`
 * classes (hysts/pytorch_image_classification, models/cifar/*.py) under PyTorch 1.13 on each row's
 * config (original defaults + base YAML + the row's overrides + the forced dataset fields), not
 * from this project's code. Construction only: the Kaiming draws are stubbed (counts do not depend
 * on them), every model is disposed, and networks that differ only by the dataset's name (MNIST vs
 * Fashion-MNIST, same 28x28x1 and 10 classes) are built once.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { before, describe, it } from 'node:test';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { loadConfig, type Config } from '../../runtime/config';
import { Rng } from '../../runtime/data/rng';
import { countParams, createModel } from '../../runtime/models';

interface PaperRow {
  table: string;
  model: string;
  base_yaml: string;
  overrides: Record<string, string>;
  dataset: string;
  params: number;
  rows: number;
}

const DATA = JSON.parse(fs.readFileSync(path.join(__dirname, 'paper_rows.json'), 'utf8')) as {
  n_readme_rows: number;
  entries: PaperRow[];
};

function configOf(row: PaperRow): Config {
  return loadConfig({ configFile: row.base_yaml, overrides: Object.entries(row.overrides).flat() });
}

/** What the network depends on: type, name, its own config section, and the input/output shape. */
function networkKey(cfg: Config): string {
  const section = (cfg.model as unknown as Record<string, unknown>)[cfg.model.name];
  const { image_size, n_channels, n_classes } = cfg.dataset;
  return JSON.stringify([cfg.model.type, cfg.model.name, section, image_size, n_channels, n_classes]);
}

function countStubbed(cfg: Config): number {
  const normal = Rng.prototype.normal;
  Rng.prototype.normal = () => 0;
  try {
    const model = createModel(cfg);
    const n = countParams(model);
    model.dispose();
    return n;
  } finally {
    Rng.prototype.normal = normal;
  }
}

describe('README result rows: parameter counts of the original code', () => {
  before(async () => {
    await tf.setBackend('cpu');
  });

  it('covers every README row once', () => {
    assert.equal(DATA.entries.reduce((a, e) => a + e.rows, 0), DATA.n_readme_rows);
    assert.equal(DATA.n_readme_rows, 362);
    assert.equal(DATA.entries.length, 46);
  });

  const groups = new Map<string, { cfg: Config; rows: PaperRow[] }>();
  for (const row of DATA.entries) {
    const cfg = configOf(row);
    const key = networkKey(cfg);
    const g = groups.get(key);
    if (g) g.rows.push(row);
    else groups.set(key, { cfg, rows: [row] });
  }

  for (const { cfg, rows } of groups.values()) {
    const expected = rows[0].params;
    const label = rows.map((r) => `${r.model} [${r.dataset}]`).join('; ');
    it(`${cfg.model.name}: ${expected.toLocaleString('en-US')} parameters: ${label}`, () => {
      for (const r of rows) assert.equal(r.params, expected, `${r.model} [${r.dataset}] shares this network`);
      const before = tf.memory().numTensors;
      assert.equal(countStubbed(cfg), expected);
      assert.equal(tf.memory().numTensors, before, 'the model is disposed');
    });
  }
});
