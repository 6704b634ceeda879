import { describe, it } from 'node:test';
import * as assert from 'node:assert/strict';
import { loadConfig, parseCliArgs, parseLiteral } from '../../runtime/config';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { configError } from './helpers';

describe('parseCliArgs', () => {
  it('reads --config, --config=, --resume, -h and the override pairs', () => {
    assert.deepEqual(parseCliArgs(['--config', 'configs/cifar/wrn.yaml', 'train.batch_size', '64']), {
      configFile: 'configs/cifar/wrn.yaml',
      overrides: ['train.batch_size', '64'],
      help: false,
      flags: { config: 'configs/cifar/wrn.yaml' },
    });
    assert.equal(parseCliArgs(['--config=a.yaml']).configFile, 'a.yaml');
    const r = parseCliArgs(['--resume', 'experiments/exp00', 'scheduler.epochs', '200']);
    assert.equal(r.resumeDir, 'experiments/exp00');
    assert.deepEqual(r.overrides, ['scheduler.epochs', '200']);
    assert.equal(parseCliArgs(['-h']).help, true);
    assert.equal(parseCliArgs(['--help']).help, true);
    assert.deepEqual(parseCliArgs([]), { overrides: [], help: false, flags: {} });
  });

  it('keeps negative numbers and dash-led values as override values', () => {
    const r = parseCliArgs(['train.dist.world_size', '-1', '--config', 'x.yaml', 'augmentation.cutout.mask_color', '-2', 'train.output_dir', '-out']);
    assert.deepEqual(r.overrides, ['train.dist.world_size', '-1', 'augmentation.cutout.mask_color', '-2', 'train.output_dir', '-out']);
    assert.equal(r.configFile, 'x.yaml');
    assert.equal(loadConfig({ overrides: r.overrides }).train.dist.world_size, -1);
  });

  it('accepts flags the caller declares', () => {
    const r = parseCliArgs(['--nproc_per_node', '2', '--dry-run', 'train.seed', '1'], {
      nproc_per_node: { type: 'string' },
      'dry-run': { type: 'boolean' },
    });
    assert.deepEqual(r.flags, { nproc_per_node: '2', 'dry-run': true });
    assert.deepEqual(r.overrides, ['train.seed', '1']);
  });

  it('names unknown flags in a ConfigError', () => {
    assert.equal(
      configError(() => parseCliArgs(['--foo'])).message,
      'unknown option --foo; known options: --config VALUE, --resume VALUE, -h/--help',
    );
    assert.match(configError(() => parseCliArgs(['--train.batch_size', '64'])).message, /^unknown option --train\.batch_size \(overrides are written without dashes: train\.batch_size VALUE\)/);
    assert.match(configError(() => parseCliArgs(['-x'])).message, /^unknown option -x/);
    assert.match(configError(() => parseCliArgs(['--nproc', '2'], { other: { type: 'boolean' } })).message, /known options: .*--other/);
  });
});

describe('parseLiteral (Python literal_eval rules)', () => {
  it('parses Python and YAML spellings', () => {
    assert.deepEqual(parseLiteral('True'), { kind: 'bool', value: true });
    assert.deepEqual(parseLiteral('false'), { kind: 'bool', value: false });
    assert.deepEqual(parseLiteral('None'), { kind: 'none' });
    assert.deepEqual(parseLiteral('-3'), { kind: 'int', value: -3 });
    assert.deepEqual(parseLiteral('1_000'), { kind: 'int', value: 1000 });
    assert.deepEqual(parseLiteral('1e-4'), { kind: 'float', value: 1e-4 });
    assert.deepEqual(parseLiteral('2.'), { kind: 'float', value: 2 });
    assert.deepEqual(parseLiteral('.5'), { kind: 'float', value: 0.5 });
    assert.deepEqual(parseLiteral("'O1'"), { kind: 'str', value: 'O1' });
    assert.deepEqual(parseLiteral('(1,)'), { kind: 'list', items: [{ kind: 'int', value: 1 }], tuple: true });
    assert.deepEqual(parseLiteral('(1)'), { kind: 'int', value: 1 });
    assert.deepEqual(parseLiteral('[1, [2.5]]'), {
      kind: 'list',
      items: [{ kind: 'int', value: 1 }, { kind: 'list', items: [{ kind: 'float', value: 2.5 }], tuple: false }],
      tuple: false,
    });
  });

  it('leaves everything else unparsed (it stays a string)', () => {
    for (const t of ['wrn', 'O1', '~/data', 'experiments/x', '[1, 2', '1.2.3', 'yes', '1e', '']) assert.equal(parseLiteral(t), undefined, t);
  });
});

describe('issue 12 finding 8: flags and folders', () => {
  it('refuses a flag with a value given twice, e.g. --config A --config B', () => {
    assert.equal(configError(() => parseCliArgs(['--config', 'a.yaml', '--config', 'b.yaml'])).message, '--config is given twice; give it once (change single values with key value overrides)');
    assert.match(configError(() => parseCliArgs(['--resume=a', '--resume', 'b'])).message, /^--resume is given twice/);
  });

  it('refuses an empty train.output_dir (it would be the current directory)', () => {
    assert.match(configError(() => loadConfig({ overrides: ['train.output_dir', ''] })).message, /^command line: train\.output_dir: is empty: give the run folder/);
  });

  it('--resume RUN/config.yaml says to give the folder', () => {
    const run = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-args-'));
    fs.writeFileSync(path.join(run, 'config.yaml'), 'train:\n  seed: 1\n');
    assert.equal(configError(() => loadConfig({ resumeDir: path.join(run, 'config.yaml') })).message, `${path.join(run, 'config.yaml')}: --resume takes the run folder, not a file: --resume ${run}`);
    fs.rmSync(run, { recursive: true });
  });
});
