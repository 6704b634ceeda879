/**
 * The `libtorch` TensorFlow.js backend: tensors live in libtorch (one addon handle per tfjs data id), kernels call
 * ATen (kernels/). Values cross to JS only in `readSync`/`read` (and from JS in `write`/`move`).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { LibtorchAddon, LtTensor, LtValue } from './addon';

/** c10::ScalarType codes used here. */
export const ST = { uint8: 0, int64: 4, int32: 3, float32: 6, float64: 7, bool: 11 } as const;
/** c10::MemoryFormat codes. */
export const MEMORY_FORMAT = { contiguous: 0, preserve: 1, channelsLast: 2 } as const;

/** tfjs dtype → c10::ScalarType code. */
export function scalarType(dtype: tf.DataType): number {
  switch (dtype) {
    case 'float32':
      return ST.float32;
    case 'int32':
      return ST.int32;
    case 'bool':
      return ST.bool;
    default:
      throw new Error(`libtorch backend: dtype ${dtype} is not supported (float32, int32 and bool are)`);
  }
}

interface TensorData {
  id: number;
  shape: number[];
  dtype: tf.DataType;
  refCount: number;
}

/** What {@link LibtorchBackend.memory} adds to `tf.memory()`. */
export interface LibtorchMemoryInfo {
  unreliable: boolean;
  /** Bytes of the tensors the addon holds (views count their own elements). */
  numBytesInLibtorch: number;
  /** Handles the addon holds. */
  numLibtorchTensors: number;
}

/** A kernel's temporaries: every tensor made through {@link KernelScope.call} is freed at the end unless returned. */
export class KernelScope {
  private readonly temps: number[] = [];
  constructor(readonly backend: LibtorchBackend) {}

  /** The addon handle of a kernel input. */
  id(t: tf.TensorInfo): number {
    return this.backend.handle(t.dataId);
  }

  /** Calls operator `schema` ('aten::name' or 'aten::name.overload'); tensor results are scope temporaries. */
  call(schema: string, ...args: unknown[]): LtTensor {
    const r = this.callAny(schema, ...args);
    if (r == null || typeof r !== 'object' || Array.isArray(r)) throw new Error(`libtorch backend: ${schema} did not return one tensor`);
    return r;
  }

  /** Like {@link call} for operators returning several tensors (tuples, lists). */
  callList(schema: string, ...args: unknown[]): (LtTensor | null)[] {
    const r = this.callAny(schema, ...args);
    if (!Array.isArray(r)) throw new Error(`libtorch backend: ${schema} did not return a list`);
    return r as (LtTensor | null)[];
  }

  /** Calls an operator for its effect (in-place operators on scope temporaries, `-> ()` schemas). */
  run(schema: string, ...args: unknown[]): void {
    this.callAny(schema, ...args);
  }

  private callAny(schema: string, ...args: unknown[]): LtValue {
    const r = this.backend.addon.call(this.backend.opId(schema), args.map((a) => (isLt(a) ? a.id : Array.isArray(a) ? a.map((x) => (isLt(x) ? x.id : x)) : a)));
    this.track(r);
    return r;
  }

  private track(v: LtValue): void {
    if (Array.isArray(v)) v.forEach((x) => this.track(x));
    else if (v != null && typeof v === 'object') this.temps.push(v.id);
  }

  /** Frees these temporaries now (before the kernel ends; e.g. per chunk of a long loop). */
  release(ts: LtTensor[]): void {
    const ids = new Set(ts.map((t) => t.id));
    for (const id of ids) this.backend.addon.free(id);
    const left = this.temps.filter((id) => !ids.has(id));
    this.temps.length = 0;
    this.temps.push(...left);
  }

  /** Frees the temporaries except `keep`. */
  finish(keep: Set<number>): void {
    for (const id of this.temps) if (!keep.has(id)) this.backend.addon.free(id);
    this.temps.length = 0;
  }
}

function isLt(a: unknown): a is LtTensor {
  return typeof a === 'object' && a != null && !Array.isArray(a) && typeof (a as LtTensor).id === 'number' && Array.isArray((a as LtTensor).shape);
}

/** tfjs dtype of an addon tensor result (int64/float64/uint8 results are cast by the caller). */
function tfDtype(code: number): tf.DataType | undefined {
  return code === ST.float32 ? 'float32' : code === ST.int32 ? 'int32' : code === ST.bool ? 'bool' : undefined;
}

/** TensorFlow.js backend whose data ids map to libtorch tensors held by the addon. */
export class LibtorchBackend extends tf.KernelBackend {
  private readonly data = new tf.DataStorage<TensorData>(this, tf.engine());
  private readonly ops = new Map<string, number>();
  /** Device tensors are created on ('cpu', 'cuda', 'cuda:1'). */
  readonly device: string;

  constructor(readonly addon: LibtorchAddon, device = 'cpu') {
    super();
    this.device = device;
  }

  /** Operator id for 'aten::name' or 'aten::name.overload' (looked up once). */
  opId(schema: string): number {
    let id = this.ops.get(schema);
    if (id === undefined) {
      const dot = schema.indexOf('.', schema.indexOf('::'));
      id = dot < 0 ? this.addon.op(schema, '') : this.addon.op(schema.slice(0, dot), schema.slice(dot + 1));
      this.ops.set(schema, id);
    }
    return id;
  }

  /** Addon handle of a data id. */
  handle(dataId: tf.DataId): number {
    const d = this.data.get(dataId);
    if (d == null) throw new Error('libtorch backend: tensor data not found (disposed, or made on another backend)');
    return d.id;
  }

  /** Registers an addon tensor as tfjs data, casting to `dtype` (or the tensor's own tfjs dtype) when needed. */
  adopt(scope: KernelScope, t: LtTensor, dtype?: tf.DataType): tf.TensorInfo {
    let out = t;
    const want = dtype ?? tfDtype(t.dtype) ?? (t.dtype === ST.float64 ? 'float32' : 'int32');
    if (tfDtype(t.dtype) !== want) out = scope.call('aten::to.dtype', t, scalarType(want));
    const dataId = {};
    this.data.set(dataId, { id: out.id, shape: out.shape, dtype: want, refCount: 1 });
    return { dataId, shape: out.shape.slice(), dtype: want };
  }

  override write(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): tf.DataId {
    const dataId = {};
    this.data.set(dataId, { id: this.upload(values, shape, dtype), shape, dtype, refCount: 1 });
    return dataId;
  }

  override move(dataId: tf.DataId, values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType, refCount: number): void {
    this.data.set(dataId, { id: this.upload(values, shape, dtype), shape, dtype, refCount });
  }

  private upload(values: tf.backend_util.BackendValues, shape: number[], dtype: tf.DataType): number {
    const st = scalarType(dtype);
    let typed: Float32Array | Int32Array | Uint8Array;
    if (dtype === 'float32') typed = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>);
    else if (dtype === 'int32') typed = values instanceof Int32Array ? values : Int32Array.from(values as ArrayLike<number>);
    else typed = values instanceof Uint8Array ? values : Uint8Array.from(values as ArrayLike<number>, (v) => (v ? 1 : 0));
    const device = this.device === 'cpu' ? undefined : this.device;
    return this.addon.fromData(typed, shape, st, device);
  }

  override readSync(dataId: tf.DataId): tf.backend_util.BackendValues {
    const d = this.data.get(dataId);
    if (d == null) throw new Error('libtorch backend: reading disposed tensor data');
    const v = this.addon.toData(d.id);
    if (v instanceof Float64Array) return Float32Array.from(v);
    if (v instanceof BigInt64Array) return Int32Array.from(v, (x) => Number(x));
    return v;
  }

  override read(dataId: tf.DataId): Promise<tf.backend_util.BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }

  override disposeData(dataId: tf.DataId, force = false): boolean {
    const d = this.data.get(dataId);
    if (d == null) return true;
    d.refCount--;
    if (d.refCount > 0 && !force) return false;
    this.addon.free(d.id);
    this.data.delete(dataId);
    return true;
  }

  override refCount(dataId: tf.DataId): number {
    return this.data.get(dataId)?.refCount ?? 0;
  }

  override incRef(dataId: tf.DataId): void {
    const d = this.data.get(dataId);
    if (d) d.refCount++;
  }

  override numDataIds(): number {
    return this.data.numDataIds();
  }

  override memory(): LibtorchMemoryInfo {
    const m = this.addon.memory();
    return { unreliable: false, numBytesInLibtorch: m.numBytes, numLibtorchTensors: m.numTensors };
  }

  override async time(f: () => void): Promise<tf.BackendTimingInfo> {
    const t0 = tf.util.now();
    f();
    return { kernelMs: tf.util.now() - t0 };
  }

  override timerAvailable(): boolean {
    return true;
  }

  override floatPrecision(): 16 | 32 {
    return 32;
  }

  override epsilon(): number {
    return 1e-7;
  }

  override dispose(): void {
    // Handles are freed by disposeData; the engine disposes every tensor before removing a backend.
  }
}
