/**
 * Gradients of a scalar loss with respect to variables, as `tf.variableGrads` computes them (the same tape, the same
 * gradient functions called in the same order, the same sums), but freeing memory as PyTorch's autograd does:
 * a node's saved tensors and the gradients of its outputs are disposed as soon as its own gradient is computed,
 * and a partial gradient as soon as it has been added into the running sum.
 *
 * tfjs-core 4.22's `engine.gradients` keeps every saved tensor and every intermediate gradient until the whole
 * backward pass ends (its `tidy('backward')`), so the peak of a training step holds all the activations that the
 * forward pass saved plus the gradients of all of them (measured: ResNet-preact-20, batch 64, CIFAR shape: 245 MB of
 * libtorch's allocator against PyTorch's 98 MB; `npm run bench -- --pytorch` prints both).
 *
 * On libtorch, kernels whose gradient reads only the shapes of their inputs (Add, Concat, …) keep one-element
 * stand-ins instead of the inputs ({@link SHAPE_ONLY_SAVES}).
 *
 * This uses tfjs-core's engine internals (`state.activeTape`, `startTape`, `endTape`, `scopedRun`, `addTapeNode`) and its tape
 * filter, pinned to the installed 4.22; nested gradients (a tape already recording) fall back to `tf.variableGrads`.
 */
import * as tf from '@tensorflow/tfjs-core';
import { getFilteredNodesXToY } from '@tensorflow/tfjs-core/dist/tape';

/** A node of tfjs-core's tape (tfjs-core/src/tape.ts). */
interface TapeNode {
  kernelName: string;
  outputs: tf.Tensor[];
  inputs: Record<string, tf.Tensor>;
  gradient?: (dys: (tf.Tensor | null)[]) => Record<string, () => tf.Tensor>;
  saved?: tf.Tensor[];
}

type AddTapeNode = (kernelName: string, inputs: unknown, outputs: unknown, gradientsFunc: unknown, saved: tf.Tensor[] | undefined, attrs: unknown) => void;

/** The parts of tfjs-core's Engine this module uses (not in its public API). */
interface EngineInternals {
  state: { activeTape: TapeNode[] | null; gradientDepth: number; kernelDepth: number };
  addTapeNode: AddTapeNode;
  scopedRun<T>(start: () => void, end: () => void, f: () => T): T;
  startTape(): void;
  endTape(): void;
  tidy<T extends tf.TensorContainer>(nameOrFn: string | (() => T), fn?: () => T): T;
}

/** Running gradient sums by tensor id, counting how many entries hold each tensor object. */
class GradientMap {
  private readonly byId = new Map<number, tf.Tensor>();
  private readonly holders = new Map<tf.Tensor, number>();

  get(id: number): tf.Tensor | undefined {
    return this.byId.get(id);
  }

  set(id: number, t: tf.Tensor): void {
    const old = this.byId.get(id);
    if (old) this.release(old);
    this.byId.set(id, t);
    this.holders.set(t, (this.holders.get(t) ?? 0) + 1);
  }

  /** Removes the entry of `id` and disposes its tensor unless another entry holds it. */
  drop(id: number): void {
    const t = this.byId.get(id);
    if (!t) return;
    this.byId.delete(id);
    this.release(t);
    this.disposeUnheld(t);
  }

  /** Disposes `t` unless an entry holds it. */
  disposeUnheld(t: tf.Tensor): void {
    if (!this.holders.has(t)) t.dispose();
  }

  private release(t: tf.Tensor): void {
    const n = (this.holders.get(t) ?? 1) - 1;
    if (n > 0) this.holders.set(t, n);
    else this.holders.delete(t);
  }
}

/**
 * Kernels whose tfjs-core gradient reads only the shapes of the inputs it saves (tfjs-core 4.22's
 * gradients/{Add,Sub,AddN,Concat,Reshape,Sum,Mean}_grad.js). PyTorch's autograd saves nothing for these; tfjs saves
 * the inputs themselves, which keeps, for example, the second convolution's output of every residual block alive
 * until the backward pass reaches it.
 */
const SHAPE_ONLY_SAVES = new Set(['Add', 'Sub', 'AddN', 'Concat', 'Reshape', 'Sum', 'Mean']);

/**
 * Replaces the saved tensors of a {@link SHAPE_ONLY_SAVES} node, in place (the gradient closure holds this array), by
 * stand-ins of the same shape and dtype that hold one element (`aten::expand` of a scalar: a view with zero strides),
 * and frees the originals. Runs with the tape paused so that the stand-ins are not recorded.
 */
function shrinkSaved(engine: EngineInternals, saved: tf.Tensor[]): void {
  engine.state.kernelDepth++;
  try {
    for (let i = 0; i < saved.length; i++) {
      const t = saved[i];
      if (t.size <= 1) continue;
      const one = tf.scalar(0, t.dtype);
      // The BroadcastTo kernel itself (tf.broadcastTo runs Tile, a copy).
      saved[i] = tf.keep(tf.engine().runKernel('BroadcastTo', { x: one }, { shape: t.shape }) as tf.Tensor);
      one.dispose();
      t.dispose();
    }
  } finally {
    engine.state.kernelDepth--;
  }
}

/** Runs `f` with {@link shrinkSaved} applied to every tape node of a shape-only kernel (libtorch: views are free). */
function withShapeOnlySaves<T>(engine: EngineInternals, f: () => T): T {
  if (tf.getBackend() !== 'libtorch') return f();
  const original = engine.addTapeNode;
  engine.addTapeNode = function (this: EngineInternals, kernelName, inputs, outputs, gradientsFunc, saved, attrs) {
    if (saved && SHAPE_ONLY_SAVES.has(kernelName)) shrinkSaved(engine, saved);
    original.call(this, kernelName, inputs, outputs, gradientsFunc, saved, attrs);
  };
  try {
    return f();
  } finally {
    engine.addTapeNode = original;
  }
}

function checkedGradient(node: TapeNode, inputName: string, dx: tf.Tensor): void {
  const x = node.inputs[inputName];
  if (dx.dtype !== 'float32') {
    throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input ${inputName} must have 'float32' dtype, but has '${dx.dtype}'`);
  }
  if (!tf.util.arraysEqual(dx.shape, x.shape)) {
    throw new Error(`Error in gradient for op ${node.kernelName}. The gradient of input '${inputName}' has shape '${dx.shape}', which does not match the shape of the input '${x.shape}'`);
  }
}

/** tfjs-core's backpropagateGradients (tape.ts), freeing what no later node reads. */
function backpropagate(engine: EngineInternals, acc: GradientMap, tape: TapeNode[]): void {
  for (let i = tape.length - 1; i >= 0; i--) {
    const node = tape[i];
    const dys = node.outputs.map((o) => acc.get(o.id) ?? null);
    if (node.gradient == null) throw new Error(`Cannot compute gradient: gradient function not found for ${node.kernelName}.`);
    const inputGradients = node.gradient(dys);
    for (const inputName in node.inputs) {
      if (!(inputName in inputGradients)) {
        throw new Error(`Cannot backprop through input ${inputName}. Available gradients found: ${Object.keys(inputGradients).join(',')}.`);
      }
      const dx = engine.tidy(() => inputGradients[inputName]());
      checkedGradient(node, inputName, dx);
      const id = node.inputs[inputName].id;
      const current = acc.get(id);
      if (current == null) {
        acc.set(id, dx);
      } else {
        acc.set(id, tf.add(current, dx));
        acc.disposeUnheld(current);
        acc.disposeUnheld(dx);
      }
    }
    // Only this node reads its outputs' gradients and its saved tensors.
    for (const o of node.outputs) acc.drop(o.id);
    for (const t of node.saved ?? []) acc.disposeUnheld(t);
  }
}

/**
 * `tf.variableGrads(f, varList)` with PyTorch's memory behaviour (see the module comment): the same values, gradients
 * and kernel calls, a lower peak.
 * @param f the loss, a scalar computed from the variables
 * @param varList the variables to differentiate (those not trainable are skipped, as tfjs does)
 * @returns the loss and the gradients by variable name (the caller disposes both)
 * @throws Error when f does not return a scalar, or a gradient function fails (tfjs's messages)
 */
export function variableGrads(f: () => tf.Scalar, varList: tf.Variable[]): { value: tf.Scalar; grads: Record<string, tf.Tensor> } {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine.state.gradientDepth > 0) return tf.variableGrads(f, varList);
  const xs = varList.filter((v) => v.trainable);
  const y = withShapeOnlySaves(engine, () => engine.scopedRun(() => engine.startTape(), () => engine.endTape(), () => engine.tidy('forward', f)));
  if (!(y instanceof tf.Tensor) || y.rank !== 0) throw new Error(`The f passed in variableGrads(f) must return a scalar, but it returned a rank-${(y as tf.Tensor).rank} tensor`);
  const tape = engine.state.activeTape ?? [];
  const filtered = getFilteredNodesXToY(tape as never, xs, y) as unknown as TapeNode[];
  return engine.tidy('backward', () => {
    const acc = new GradientMap();
    acc.set(y.id, tf.ones(y.shape));
    backpropagate(engine, acc, filtered);
    const grads: Record<string, tf.Tensor> = {};
    for (const x of xs) {
      const g = acc.get(x.id);
      if (g) grads[x.name] = g;
    }
    for (const node of tape) for (const t of node.saved ?? []) t.dispose();
    engine.state.activeTape = null;
    return { value: y, grads };
  });
}
