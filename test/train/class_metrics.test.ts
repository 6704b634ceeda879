import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { PNG } from 'pngjs';
import { CLASS_NAMES, classNames } from '../../runtime/data/class_names';
import { classReportProblem, galleryProblem, type ClassReport, type Gallery } from '../../runtime/protocol/evaluation';
import { classFigures, confidentMistakes, confusionMatrix, macroMean, scorePredictions } from '../../runtime/train/class_metrics';
import { gallery, imagePng, writeClassFiles, type EvaluationInputs } from '../../runtime/train/evaluate_report';

// The fixture: 10 images of 4 classes (class 3 has none and is never predicted).
const LABELS = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2];
const PREDICTIONS = [0, 0, 1, 2, 1, 1, 0, 2, 2, 1];
// By hand, rows true, columns predicted:
//   class 0: images 0-3 predicted 0, 0, 1, 2      -> [2, 1, 1, 0]
//   class 1: images 4-6 predicted 1, 1, 0         -> [1, 2, 0, 0]
//   class 2: images 7-9 predicted 2, 2, 1         -> [0, 1, 2, 0]
const CONFUSION = [
  [2, 1, 1, 0],
  [1, 2, 0, 0],
  [0, 1, 2, 0],
  [0, 0, 0, 0],
];

const close = (a: number | null, b: number | null, what: string, tol = 1e-12): void => {
  if (a === null || b === null) assert.equal(a, b, what);
  else assert.ok(Math.abs(a - b) < tol, `${what}: ${a} vs ${b}`);
};

describe('per-class metrics', () => {
  it('counts the confusion matrix (rows true, columns predicted)', () => {
    assert.deepEqual(confusionMatrix(LABELS, PREDICTIONS, 4), CONFUSION);
    assert.throws(() => confusionMatrix([0, 4], [0, 0], 4), /image 1 has class 4 → 0, expected classes in \[0, 4\)/);
    assert.throws(() => confusionMatrix([0], [0, 1], 2), /1 labels but 2 predictions/);
  });

  it('gives each class its accuracy (recall), precision and F1 as computed by hand', () => {
    const f = classFigures(CONFUSION);
    assert.deepEqual(f.map((c) => [c.support, c.predicted, c.correct]), [[4, 3, 2], [3, 4, 2], [3, 3, 2], [0, 0, 0]]);
    // class 0: 2 of its 4 right; 2 of the 3 predicted 0 are 0s; F1 = 2·(2/3)(1/2)/(2/3 + 1/2) = 4/7
    close(f[0].accuracy, 0.5, 'accuracy 0');
    close(f[0].precision, 2 / 3, 'precision 0');
    close(f[0].f1, 4 / 7, 'f1 0');
    // class 1: 2 of 3 right; 2 of the 4 predicted 1 are 1s
    close(f[1].accuracy, 2 / 3, 'accuracy 1');
    close(f[1].precision, 0.5, 'precision 1');
    close(f[1].f1, 4 / 7, 'f1 1');
    close(f[2].accuracy, 2 / 3, 'accuracy 2');
    close(f[2].precision, 2 / 3, 'precision 2');
    close(f[2].f1, 2 / 3, 'f1 2');
    // class 3: no image, never predicted: undefined, not 0
    assert.deepEqual([f[3].accuracy, f[3].precision, f[3].f1], [null, null, null]);
    close(macroMean(f.map((c) => c.accuracy)), (0.5 + 2 / 3 + 2 / 3) / 3, 'macro accuracy');
    // F1 of a class with images but never predicted right: precision 0 of 1 predicted, recall 0 -> 0
    assert.equal(classFigures([[0, 1], [1, 0]])[0].f1, 0);
  });

  it('scores predictions with softmax probabilities', () => {
    const logits = new Float32Array([Math.log(1), Math.log(3), 0, 0]);
    const s = scorePredictions(logits, [0, 1], 2);
    assert.equal(s[0].predicted, 1);
    // float32 logits: log(3) is rounded
    close(s[0].probability, 0.75, 'p predicted', 1e-7);
    close(s[0].trueProbability, 0.25, 'p true', 1e-7);
    // a tie: the first maximum is the prediction
    assert.equal(s[1].predicted, 0);
    close(s[1].probability, 0.5, 'p tie');
  });

  it('keeps the most confident mistakes per cell and overall, most confident first', () => {
    const p = (index: number, t: number, pred: number, probability: number) => ({ index, true: t, predicted: pred, probability, trueProbability: 0 });
    const scored = [p(0, 0, 1, 0.9), p(1, 0, 1, 0.8), p(2, 0, 1, 0.7), p(3, 1, 0, 0.6), p(4, 1, 1, 0.99), p(5, 2, 0, 0.5)];
    assert.deepEqual(confidentMistakes(scored, 1, 0).map((s) => s.index), [0, 3, 5]);
    assert.deepEqual(confidentMistakes(scored, 1, 2).map((s) => s.index), [0, 1, 3, 5]);
    assert.deepEqual(confidentMistakes(scored, 5, 0).map((s) => s.index), [0, 1, 2, 3, 5]);
  });
});

describe('evaluation files', () => {
  // 6 grey 2x2 images of 3 classes; image i has every pixel 40·i.
  const images = Uint8Array.from({ length: 6 * 4 }, (_, j) => 40 * Math.floor(j / 4));
  const logits = new Float32Array([
    5, 0, 0, // true 0, right
    0, 4, 0, // true 0, predicted 1
    0, 0, 1, // true 0, predicted 2
    0, 3, 0, // true 1, right
    2, 0, 0, // true 1, predicted 0
    0, 0, 9, // true 2, right
  ]);
  const inputs: EvaluationInputs = {
    id: 'e1', checkpoint: '/r/checkpoint_00001.ckpt', dataset: 'MNIST', classes: ['a', 'b', 'c'],
    logits, labels: [0, 0, 0, 1, 1, 2], images, height: 2, width: 2, channels: 1,
  };

  it('writes classes.json and gallery.json that readers accept, the confusion summing to the images', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'icl-eval-'));
    try {
      writeClassFiles(dir, inputs, [0, 1, 2, 1, 0, 2]);
      const report = JSON.parse(fs.readFileSync(path.join(dir, 'classes.json'), 'utf8')) as ClassReport;
      assert.equal(classReportProblem(report), undefined);
      assert.deepEqual(report.confusion, [[1, 1, 1], [1, 1, 0], [0, 0, 1]]);
      assert.equal(report.confusion.flat().reduce((a, b) => a + b, 0), 6);
      close(report.accuracy, 0.5, 'accuracy');
      assert.deepEqual(report.classes, ['a', 'b', 'c']);
      const g = JSON.parse(fs.readFileSync(path.join(dir, 'gallery.json'), 'utf8')) as Gallery;
      assert.equal(galleryProblem(g), undefined);
      assert.equal(g.wrong, 3);
      // most confident first: image 1 (softmax of 4 among 4,0,0), image 4 (2,0,0), image 2 (1,0,0)
      assert.deepEqual(g.images.map((i) => [i.index, i.true, i.predicted]), [[1, 0, 1], [4, 1, 0], [2, 0, 2]]);
      close(g.images[0].probability, Math.exp(4) / (Math.exp(4) + 2), 'probability');
      const png = PNG.sync.read(Buffer.from(g.images[1].png, 'base64'));
      assert.deepEqual([png.width, png.height, png.data[0], png.data[1], png.data[2], png.data[3]], [2, 2, 160, 160, 160, 255]);
      assert.equal(fs.readdirSync(dir).filter((f) => f.includes('.tmp')).length, 0);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('encodes RGB images pixel for pixel', () => {
    const rgb = Uint8Array.from([255, 0, 0, 0, 255, 0, 0, 0, 255, 10, 20, 30]);
    const png = PNG.sync.read(imagePng(rgb, 0, 2, 2, 3));
    assert.deepEqual(Array.from(png.data), [255, 0, 0, 255, 0, 255, 0, 255, 0, 0, 255, 255, 10, 20, 30, 255]);
    assert.throws(() => imagePng(rgb, 0, 1, 1, 4), /4 channels/);
  });

  it('reports malformed files in one phrase', () => {
    assert.match(classReportProblem({ version: 1, classes: ['a'], confusion: [[1, 2]] }) ?? '', /confusion: expected 1×1/);
    assert.match(galleryProblem({ version: 2 }) ?? '', /version 2, expected 1/);
    assert.equal(gallery({ ...inputs, logits: new Float32Array([5, 0, 0, 5, 0, 0, 5, 0, 0, 0, 5, 0, 0, 5, 0, 0, 0, 5]) }).images.length, 0);
  });
});

describe('class names', () => {
  it('has the datasets\' names in label order', () => {
    assert.equal(CLASS_NAMES.CIFAR100.length, 100);
    assert.equal(new Set(CLASS_NAMES.CIFAR100).size, 100);
    assert.deepEqual([CLASS_NAMES.CIFAR100[0], CLASS_NAMES.CIFAR100[99]], ['apple', 'worm']);
    assert.equal(classNames('CIFAR10', 10)[3], 'cat');
    assert.equal(classNames('FashionMNIST', 10)[9], 'Ankle boot');
    assert.equal(classNames('KMNIST', 10)[0], 'o (お)');
    assert.deepEqual(classNames('MNIST', 10).slice(0, 2), ['0', '1']);
    assert.deepEqual(classNames('ImageFolder', 2, ['cats', 'dogs']), ['cats', 'dogs']);
    // a count that does not fit the names: the indices
    assert.deepEqual(classNames('CIFAR10', 3), ['0', '1', '2']);
  });
});
