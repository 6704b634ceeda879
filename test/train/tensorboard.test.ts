/**
 * TensorBoard event files as the original writes them: TFRecord framing, image grids and histograms on
 * their own, then a tiny 3-epoch run read back by an independent reader (test/train/tensorboard_read.py:
 * its own CRC-32C, Google's protobuf runtime) and checked tag by tag and step by step against events.jsonl;
 * a run killed after epoch 1 (its later checkpoints gone, a torn record at the end of a file) and resumed
 * has every step once; `train.use_tensorboard False` writes none of it.
 */
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { before, describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { loadConfig } from '../../runtime/config';
import type { EpochEvent, RunEvent, StepEvent } from '../../runtime/protocol';
import { loadCheckpoint } from '../../runtime/train/checkpoint';
import { createLrSchedule } from '../../runtime/train/schedule';
import { histogram } from '../../runtime/train/tensorboard/histogram';
import { imageGrid } from '../../runtime/train/tensorboard/image_grid';
import { frameRecord, readRecords } from '../../runtime/train/tensorboard/record';
import { TensorBoardRunWriter } from '../../runtime/train/tensorboard/run_writer';
import { runTraining } from '../../runtime/train/trainer';
import { events, ROOT, tempDir, writeSyntheticMnist } from '../cli/fixtures';
import { pythonReaderMissing, readTensorBoard, readWithProtobufjs, readWithPython, type ReadRun } from './tensorboard_read';

const f32 = Math.fround;

describe('TFRecord framing', () => {
  it('reads back what it frames and stops at a corrupt or torn record, saying where', () => {
    const a = frameRecord(Buffer.from('first'));
    const b = frameRecord(Buffer.from('second record'));
    assert.equal(a.length, 16 + 5);
    const ok = readRecords(Buffer.concat([a, b]));
    assert.deepEqual(ok.records.map((r) => r.toString()), ['first', 'second record']);
    assert.equal(ok.problem, undefined);
    const bad = Buffer.concat([a, b]);
    bad[a.length + 14] ^= 1;
    assert.deepEqual(readRecords(bad), { records: [Buffer.from('first')], goodBytes: a.length, problem: `data CRC mismatch in the record at byte ${a.length}` });
    const torn = readRecords(Buffer.concat([a, b.subarray(0, 20)]));
    assert.equal(torn.problem, `truncated record at byte ${a.length}`);
  });
});

describe('image grids and histograms', () => {
  it('lays images out as make_grid(normalize=True, scale_each=True): 2-pixel padding, each image min..max to 0..255', () => {
    // two grey 2×2 images side by side: (2+2)·2+2 = 10 wide, 2+4 = 6 high
    const g = imageGrid({ x: Float32Array.from([0, 1, 2, 3, 5, 5, 5, 9]), n: 2, height: 2, width: 2, channels: 1 });
    assert.deepEqual([g.height, g.width], [6, 10]);
    const px = (y: number, x: number) => [...g.rgb.subarray((y * 10 + x) * 3, (y * 10 + x) * 3 + 3)];
    assert.deepEqual([px(2, 2), px(2, 3), px(3, 2), px(3, 3)], [[0, 0, 0], [85, 85, 85], [170, 170, 170], [255, 255, 255]]);
    assert.deepEqual([px(2, 6), px(3, 7), px(0, 0), px(2, 4), px(5, 9)], [[0, 0, 0], [255, 255, 255], [0, 0, 0], [0, 0, 0], [0, 0, 0]]);
    // a single RGB image is not padded, and keeps its channel order
    const one = imageGrid({ x: Float32Array.from([0, 0.5, 1, 1, 0.5, 0]), n: 1, height: 1, width: 2, channels: 3 });
    assert.deepEqual([one.height, one.width, [...one.rgb]], [1, 2, [0, 127, 255, 255, 127, 0]]);
  });

  it('bins as numpy over TensorFlow\'s default edges, with one empty bucket left of the values', () => {
    const h = histogram(Float32Array.from([1, 1, 2, -0.5]));
    assert.deepEqual([h.min, h.max, h.num, h.sum, h.sum_squares], [-0.5, 2, 4, 3.5, 6.25]);
    assert.equal(h.bucket.length, h.bucket_limit.length);
    assert.equal(h.bucket[0], 0);
    assert.equal(h.bucket.reduce((s, c) => s + c, 0), 4);
    // the edge at the left of -0.5's bucket is -0.5·(1.1^k) rounded, the buckets' right edges follow
    assert.ok(h.bucket_limit[0] <= -0.5 && h.bucket_limit[1] > -0.5, `${h.bucket_limit.slice(0, 2)}`);
    const at = (v: number) => h.bucket_limit.findIndex((lim, i) => i > 0 && h.bucket_limit[i - 1] <= v && v < lim);
    assert.deepEqual([h.bucket[at(-0.5)], h.bucket[at(1)], h.bucket[at(2)]], [1, 2, 1]);
    assert.ok(h.bucket_limit[at(1)] / h.bucket_limit[at(1) - 1] < 1.1 + 1e-9, 'TensorFlow\'s 10% buckets');
  });
});

describe('TensorBoardRunWriter resumed in the middle of an epoch', () => {
  it('purges epoch steps from that epoch on and global steps after the checkpoint, and images the first batch it trains', () => {
    const dir = tempDir('icl-tensorboard-unit-');
    const options = { train_images: true, val_images: false, model_params: false };
    const shape = [1, 1, 1] as const;
    const batch = (index: number) => ({ x: Float32Array.from([index]), y: Int32Array.from([0]), n: 1, index, epoch: 2 });
    const means = { loss: 1, acc1: 0.5, acc5: 1 };
    // a first run logs epochs 1 and 2 (steps 1..4 each), then is killed; its checkpoint was epoch 1, step 2 of epoch 2
    const first = new TensorBoardRunWriter(dir, options, { resumed: false, epoch: 0, stepInEpoch: 0, globalStep: 0 });
    for (const e of [1, 2]) {
      for (let i = 1; i <= 4; i++) {
        first.trainBatch(e, batch(i), shape);
        first.runningStep((e - 1) * 4 + i, means, 0.1);
      }
      first.trainEpoch(e, means, 1, 0.1);
    }
    first.close();
    const resumed = new TensorBoardRunWriter(dir, options, { resumed: true, epoch: 1, stepInEpoch: 2, globalStep: 6 });
    resumed.trainBatch(2, batch(3), shape);
    resumed.trainBatch(2, batch(4), shape);
    resumed.runningStep(7, means, 0.1);
    resumed.close();
    const run = readTensorBoard(dir);
    assert.deepEqual(stepsOf(run, '', 'Train/Loss'), [1]);
    assert.deepEqual(stepsOf(run, '', 'Train/Image'), [1, 2]);
    assert.deepEqual(stepsOf(run, 'running', 'Train/RunningLoss'), [1, 2, 3, 4, 5, 6, 7]);
    // epoch 2's image is the resumed run's (batch 3), in its new file after SessionLog START
    const fresh = Object.values(run.files).find((evs) => evs.some((e) => e.what === 'session_log' && e.step === 2))!;
    assert.deepEqual(fresh.filter((e) => e.what === 'summary').map((e) => [e.step, e.values![0].tag]), [[2, 'Train/Image']]);
    assert.deepEqual(Object.values(run.files).map((evs) => evs.filter((e) => e.what === 'session_log').map((e) => e.step)).sort(), [[], [], [2], [7]]);
  });
});

const work = tempDir('icl-tensorboard-');
const data = path.join(work, 'data');
const STEPS_PER_EPOCH = 4;

function config(out: string, extra: string[] = []) {
  return loadConfig({
    configFile: path.join(ROOT, 'configs/cifar/resnet_preact.yaml'),
    overrides: [
      'dataset.name', 'FashionMNIST', 'dataset.dataset_dir', data,
      'model.resnet_preact.depth', '8', 'model.resnet_preact.initial_channels', '8',
      'train.batch_size', '16', 'validation.batch_size', '20', 'train.base_lr', '0.05',
      'scheduler.type', 'cosine', 'scheduler.epochs', '3', 'train.checkpoint_period', '1', 'train.log_period', '3',
      'train.output_dir', out, 'num_threads', '1',
      'augmentation.use_random_crop', 'False', 'augmentation.use_random_horizontal_flip', 'False',
      'tensorboard.train_images', 'True', 'tensorboard.val_images', 'True', 'tensorboard.model_params', 'True',
      ...extra,
    ],
  });
}

interface Point { step: number; value: number }

/** Scalar series by tag of the event files in `folder` ('' or 'running'), in file order. */
function scalars(run: ReadRun, folder: string): Map<string, Point[]> {
  const out = new Map<string, Point[]>();
  for (const [file, evs] of Object.entries(run.files)) {
    if (path.dirname(file) !== (folder || '.')) continue;
    for (const e of evs) {
      for (const v of e.values ?? []) {
        if (v.simple_value === undefined) continue;
        if (!out.has(v.tag)) out.set(v.tag, []);
        out.get(v.tag)!.push({ step: e.step, value: v.simple_value });
      }
    }
  }
  return out;
}

/** Steps of the summaries with `tag` in `folder`, with images and histograms too. */
function stepsOf(run: ReadRun, folder: string, tag: string): number[] {
  return Object.entries(run.files)
    .filter(([file]) => path.dirname(file) === (folder || '.'))
    .flatMap(([, evs]) => evs.filter((e) => e.values?.some((v) => v.tag === tag)).map((e) => e.step));
}

/** The last event of events.jsonl per epoch / global step (a resumed run logs a step again). */
function lastBy<T extends RunEvent>(evs: RunEvent[], type: T['type'], key: (e: T) => number): Map<number, T> {
  const m = new Map<number, T>();
  for (const e of evs) if (e.type === type) m.set(key(e as T), e as T);
  return m;
}

const TRAIN_TAGS = ['Train/Loss', 'Train/Acc1', 'Train/Acc5', 'Train/Time', 'Train/LearningRate'];
const VAL_TAGS = ['Val/Loss', 'Val/Acc1', 'Val/Acc5', 'Val/Time'];
const RUNNING_TAGS = ['Train/RunningLoss', 'Train/RunningAcc1', 'Train/RunningAcc5', 'Train/RunningLearningRate'];
const RUNNING_STEPS = [3, 4, 7, 8, 11, 12]; // every 3 steps and the last (4th) of each epoch

/** Checks every tag and step of a finished 3-epoch run, and its values against its events.jsonl. */
function checkRun(runDir: string, run: ReadRun): void {
  const ev = events(runDir);
  const epochs = lastBy<EpochEvent>(ev, 'epoch', (e) => e.epoch);
  const steps = lastBy<StepEvent>(ev, 'step', (e) => e.global_step);
  const lrAt = createLrSchedule(config(runDir), STEPS_PER_EPOCH);
  const main = scalars(run, '');
  assert.deepEqual([...main.keys()].sort(), [...TRAIN_TAGS, ...VAL_TAGS].sort());
  for (const tag of TRAIN_TAGS) assert.deepEqual(main.get(tag)!.map((p) => p.step), [1, 2, 3], tag);
  assert.deepEqual(main.get('Val/Loss')!.map((p) => p.step), [1, 2, 3], 'Val/Loss from epoch 1, as the original');
  for (const tag of ['Val/Acc1', 'Val/Acc5', 'Val/Time']) assert.deepEqual(main.get(tag)!.map((p) => p.step), [0, 1, 2, 3], tag);
  const value = (tag: string, step: number) => main.get(tag)!.find((p) => p.step === step)!.value;
  for (const e of [1, 2, 3]) {
    const { train, val, elapsed_s } = epochs.get(e)!;
    assert.deepEqual(
      [value('Train/Loss', e), value('Train/Acc1', e), value('Train/Acc5', e), value('Train/Time', e)],
      [f32(train!.loss), f32(train!.accuracy), f32(train!.accuracy5!), f32(elapsed_s)], `Train/* of epoch ${e}`,
    );
    // the lr after the epoch's last scheduler step, as the original's get_last_lr() there
    assert.equal(value('Train/LearningRate', e), f32(lrAt(e * STEPS_PER_EPOCH)));
    assert.equal(value('Val/Loss', e), f32(val!.loss));
  }
  assert.notEqual(value('Train/LearningRate', 1), value('Train/LearningRate', 2), 'cosine: the lr changes');
  for (const e of [0, 1, 2, 3]) {
    const { val } = epochs.get(e)!;
    assert.deepEqual([value('Val/Acc1', e), value('Val/Acc5', e)], [f32(val!.accuracy), f32(val!.accuracy5!)], `Val/* of epoch ${e}`);
    assert.ok(value('Val/Time', e) > 0 && value('Val/Time', e) < 120);
  }

  const running = scalars(run, 'running');
  assert.deepEqual([...running.keys()].sort(), [...RUNNING_TAGS].sort());
  for (const tag of RUNNING_TAGS) assert.deepEqual(running.get(tag)!.map((p) => p.step), RUNNING_STEPS, tag);
  assert.deepEqual([...steps.keys()], RUNNING_STEPS, 'events.jsonl logs the same steps');
  for (const s of RUNNING_STEPS) {
    const at = (tag: string) => running.get(tag)!.find((p) => p.step === s)!.value;
    const st = steps.get(s)!;
    assert.deepEqual(
      [at('Train/RunningLoss'), at('Train/RunningAcc1'), at('Train/RunningAcc5'), at('Train/RunningLearningRate')],
      [f32(st.running!.loss), f32(st.running!.accuracy), f32(st.running!.accuracy5!), f32(st.lr)], `running step ${s}`,
    );
  }
  // the last step's running means are the epoch's means
  assert.equal(running.get('Train/RunningLoss')!.find((p) => p.step === 12)!.value, f32(epochs.get(3)!.train!.loss));

  assert.deepEqual(stepsOf(run, '', 'Train/Image'), [1, 2, 3]);
  assert.deepEqual(stepsOf(run, '', 'Val/Image'), [0]);
  assert.deepEqual(stepsOf(run, '', 'fc.weight'), [0, 1, 2, 3]);
  for (const evs of Object.values(run.files)) {
    assert.deepEqual([evs[0].what, evs[0].file_version], ['file_version', 'brain.Event:2']);
  }
}

function histogramAt(run: ReadRun, tag: string, step: number) {
  for (const evs of Object.values(run.files)) {
    for (const e of evs) for (const v of e.values ?? []) if (v.tag === tag && e.step === step && v.histo) return v.histo;
  }
  throw new Error(`no histogram ${tag} at ${step}`);
}

describe('TensorBoard event files of a run', { timeout: 300_000 }, () => {
  const full = path.join(work, 'full');
  let run: ReadRun & { reader: string };

  before(async () => {
    writeSyntheticMnist(data, 64, 40);
    const r = await runTraining(config(full), { quiet: true });
    assert.equal(r.status, 'completed');
    run = readTensorBoard(full);
  });

  it('has the original\'s tags at the original\'s steps, with the values of events.jsonl', (t) => {
    t.diagnostic(`read with ${run.reader}`);
    assert.deepEqual(Object.keys(run.files).map((f) => path.dirname(f)).sort(), ['.', 'running'], `${run.reader}: one file per folder`);
    checkRun(full, run);
  });

  it('logs parameter histograms of the model at each validation', () => {
    const ckpt = loadCheckpoint(path.join(full, 'checkpoint_00003.ckpt'));
    for (const name of ['conv.weight', 'fc.weight', 'fc.bias', 'stage1.block1.bn1.weight']) {
      const values = ckpt.params[name].values as Float32Array;
      const h = histogramAt(run, name, 3);
      assert.deepEqual([h.num, h.min, h.max], [values.length, Math.min(...values), Math.max(...values)], name);
      assert.ok(Math.abs(h.sum - values.reduce((s, v) => s + v, 0)) < 1e-9 * values.length, name);
      for (let i = 1; i < h.bucket.length; i++) {
        const inside = values.filter((v) => v >= h.bucket_limit[i - 1] && v < h.bucket_limit[i]).length;
        assert.equal(h.bucket[i], inside, `${name} bucket ${i}`);
      }
    }
  });

  it('logs image grids: the first test batch at epoch 0, pixel for pixel, and the first batch of each epoch', () => {
    const img = (tag: string) => Object.values(run.files).flat().find((e) => e.values?.[0]?.tag === tag)!.values![0].image!;
    const val = img('Val/Image');
    // 20 test images of 28×28, 8 per row: 3 rows
    assert.deepEqual([val.height, val.width, val.colorspace], [(28 + 2) * 3 + 2, (28 + 2) * 8 + 2, 3]);
    const png = PNG.sync.read(Buffer.from(val.png_base64, 'base64'));
    assert.deepEqual([png.height, png.width], [val.height, val.width]);
    const raw = zlib.gunzipSync(fs.readFileSync(path.join(data, 't10k-images-idx3-ubyte.gz'))).subarray(16);
    for (const k of [0, 9, 19]) {
      const image = raw.subarray(k * 784, (k + 1) * 784);
      const lo = Math.min(...image);
      const hi = Math.max(...image);
      const top = Math.floor(k / 8) * 30 + 2;
      const left = (k % 8) * 30 + 2;
      for (let p = 0; p < 784; p += 13) {
        const o = ((top + Math.floor(p / 28)) * png.width + left + (p % 28)) * 4;
        const want = (255 * (image[p] - lo)) / (hi - lo);
        assert.ok(Math.abs(png.data[o] - want) <= 1, `image ${k} pixel ${p}: ${png.data[o]} vs ${want}`);
        assert.deepEqual([png.data[o + 1], png.data[o + 2]], [png.data[o], png.data[o]], 'grey as RGB');
      }
    }
    assert.deepEqual([...png.data.subarray(0, 4)], [0, 0, 0, 255], 'black padding');
    const train = img('Train/Image');
    assert.deepEqual([train.height, train.width], [(28 + 2) * 2 + 2, (28 + 2) * 8 + 2], '16 training images: 2 rows');
  });

  it('the independent Python reader and protobufjs read the same events', (t) => {
    const missing = pythonReaderMissing();
    // CI (.ci/run) installs python3-protobuf and requires this check.
    if (missing && process.env.ICL_REQUIRE_TB_READER) assert.fail(`ICL_REQUIRE_TB_READER is set but ${missing}`);
    if (missing) return t.skip(missing);
    assert.deepEqual(readWithPython(full), readWithProtobufjs(full));
  });

  it('a run killed after epoch 1 and resumed has each step once, with its own values', async () => {
    const resumed = path.join(work, 'resumed');
    fs.cpSync(full, resumed, { recursive: true });
    // killed after epoch 1: the later checkpoints are not there, its events up to epoch 3 are, and the
    // running file ends in a torn record
    for (const f of ['checkpoint_00002.ckpt', 'checkpoint_00003.ckpt', 'last_checkpoint']) fs.rmSync(path.join(resumed, f));
    const runningDir = path.join(resumed, 'running');
    const oldRunning = path.join(runningDir, fs.readdirSync(runningDir)[0]);
    fs.appendFileSync(oldRunning, Buffer.from([40, 0, 0, 0, 0, 0, 0]));
    const r = await runTraining(loadConfig({ resumeDir: resumed }), { resume: true, quiet: true });
    assert.equal(r.status, 'completed');

    const again = readTensorBoard(resumed);
    checkRun(resumed, again);
    // the resumed epochs are exact, so the scalars are the uninterrupted run's (times aside)
    const noTime = (m: Map<string, Point[]>) => [...m].filter(([tag]) => !tag.endsWith('Time'));
    assert.deepEqual(noTime(scalars(again, '')), noTime(scalars(run, '')));
    assert.deepEqual(scalars(again, 'running'), scalars(run, 'running'));
    // a new file per folder, starting with the file version and SessionLog START at the first step it writes
    for (const [folder, purge] of [['.', 2], ['running', 5]] as const) {
      const files = Object.keys(again.files).filter((f) => path.dirname(f) === folder);
      assert.equal(files.length, 2, folder);
      const [old, fresh] = files.map((f) => again.files[f]);
      assert.ok(old.every((e) => e.step < purge), `${folder}: the old file keeps the steps before ${purge}`);
      assert.deepEqual(fresh.slice(0, 2).map((e) => [e.what, e.step, e.session_status]), [['file_version', 0, undefined], ['session_log', purge, 1]]);
      assert.ok(fresh.slice(2).every((e) => e.step >= purge));
    }
  });

  it('train.use_tensorboard False writes none of it', async () => {
    const off = path.join(work, 'off');
    const r = await runTraining(config(off, ['train.use_tensorboard', 'False', 'scheduler.epochs', '1']), { quiet: true });
    assert.equal(r.status, 'completed');
    const files = fs.readdirSync(off);
    assert.ok(files.includes('events.jsonl'));
    assert.deepEqual(files.filter((f) => f.startsWith('events.out') || f === 'running'), []);
  });
});
