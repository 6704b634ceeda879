/**
 * Every run's config.yaml must load unchanged in the original framework, which reads YAML with
 * PyYAML (YAML 1.1): each config of configs/ (and one with edge-case floats) is dumped as a run
 * folder's config.yaml and read by Debian's python3-yaml; every value must come back with the
 * same type and value (issue 12 finding 9: `1e-9` was a string there).
 */
import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { it } from 'node:test';
import { configToPlainObject, dumpConfig, loadConfig, type Config } from '../../runtime/config';
import { CONFIG_TREE } from '../../runtime/config/tree';
import { ROOT, tempDir } from '../cli/fixtures';

const PYTHON = '/usr/bin/python3';
const probe = fs.existsSync(PYTHON) ? spawnSync(PYTHON, ['-c', 'import yaml'], { encoding: 'utf8' }) : undefined;
const skip = probe?.status === 0 ? false : 'needs /usr/bin/python3 with PyYAML (Debian python3-yaml, installed by .ci/run)';

/** Reads each file with yaml.safe_load and prints [type, value] for every leaf, as JSON. */
const READER = `
import json, sys, yaml
def walk(v):
    if isinstance(v, dict): return {k: walk(x) for k, x in v.items()}
    if isinstance(v, list): return [walk(x) for x in v]
    return [type(v).__name__, v if not isinstance(v, float) or v == v and abs(v) != float('inf') else repr(v)]
print(json.dumps([walk(yaml.safe_load(open(f))) for f in sys.argv[1:]]))
`;

function typed(v: unknown, spec: { float: boolean }): unknown {
  if (Array.isArray(v)) return v.map((x) => typed(x, spec));
  if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, typed(x, spec)]));
  if (typeof v === 'boolean') return ['bool', v];
  if (typeof v === 'string') return ['str', v];
  const n = v as number;
  return [spec.float || !Number.isInteger(n) ? 'float' : 'int', Number.isFinite(n) ? n : Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf'];
}

it('config.yaml loads in PyYAML with every value and type unchanged', { skip }, () => {
  const dir = tempDir('icl-pyyaml-');
  const configs = (fs.readdirSync(path.join(ROOT, 'configs'), { recursive: true }) as string[]).filter((f) => f.endsWith('.yaml')).sort();
  const cfgs: Config[] = configs.map((f) => loadConfig({ configFile: path.join(ROOT, 'configs', f) }));
  cfgs.push(loadConfig({ overrides: ['optim.lars.eps', '1e-9', 'train.base_lr', '1.5e21', 'train.weight_decay', '5e-05', 'scheduler.lr_min_factor', '1e-300', 'train.gradient_clip', '100000000000000000000.0'] }));
  const files = cfgs.map((cfg, i) => {
    const file = path.join(dir, `config${i}.yaml`);
    fs.writeFileSync(file, dumpConfig(cfg));
    return file;
  });
  const r = spawnSync(PYTHON, ['-c', READER, ...files], { encoding: 'utf8', maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const read = JSON.parse(r.stdout) as unknown[];
  const floats = new Set<string>();
  // which leaves are floats: those the tree declares so (a float key holding 1 is written 1.0)
  const collect = (spec: Record<string, unknown>, prefix: string) => {
    for (const [k, c] of Object.entries((spec as { children: Record<string, { kind: string; type?: string; children?: unknown }> }).children)) {
      if (c.kind === 'leaf') { if (c.type === 'float' || c.type === 'float[]') floats.add(`${prefix}${k}`); } else collect(c as Record<string, unknown>, `${prefix}${k}.`);
    }
  };
  collect(CONFIG_TREE as unknown as Record<string, unknown>, '');
  const expect = (obj: Record<string, unknown>, prefix = ''): Record<string, unknown> =>
    Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, v !== null && typeof v === 'object' && !Array.isArray(v) ? expect(v as Record<string, unknown>, `${prefix}${k}.`) : typed(v, { float: floats.has(`${prefix}${k}`) })]));
  cfgs.forEach((cfg, i) => assert.deepEqual(read[i], expect(configToPlainObject(cfg)), `${files[i]} (${configs[i] ?? 'edge-case floats'})`));
});
