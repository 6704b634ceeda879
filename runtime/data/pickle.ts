/**
 * A minimal reader of Python pickles (protocols 0–5, binary opcodes) for data files: dicts, lists,
 * tuples, ints, floats, strings, bytes and numpy arrays. It runs no code: the only globals it
 * accepts are numpy's array and dtype reconstructors and `_codecs.encode` (how Python 3 pickles
 * bytes at protocol 2); any other global is refused. Enough for the CIFAR python version
 * (https://www.cs.toronto.edu/~kriz/cifar.html: a dict with a uint8 `data` array and label lists).
 * Opcode reference: CPython Lib/pickletools.py.
 */

/** A Python 2 `str` / Python 3 `bytes` value. */
export class PyBytes {
  constructor(readonly bytes: Uint8Array) {}

  /** Latin-1 decoding (as `pickle.load(..., encoding='latin1')`). */
  toString(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length).toString('latin1');
  }
}

/** A numpy array: dtype string (e.g. `u1`, `<i8`), shape, and its raw C-order bytes. */
export class NdArray {
  dtype = '';
  shape: number[] = [];
  fortranOrder = false;
  data: Uint8Array = new Uint8Array(0);
}

/** A numpy dtype as pickled: `numpy.dtype('u1', False, True)` then its state (byte order at index 1). */
class Dtype {
  constructor(public str: string) {}
}

/** Values a pickle can hold here. */
export type PyValue = null | boolean | number | bigint | string | PyBytes | NdArray | PyValue[] | Map<PyKey, PyValue> | Dtype | PyGlobal;
/** Dict keys: strings (bytes keys are decoded as Latin-1), numbers. */
export type PyKey = string | number | bigint | boolean | null;

class PyGlobal {
  constructor(readonly module: string, readonly name: string) {}
}

const MARK = Symbol('mark');
type StackItem = PyValue | typeof MARK;

/** A frozen tuple (so BUILD/REDUCE can tell tuples from lists). */
class Tuple extends Array<PyValue> {}

const FROM_BUFFER = new Set(['numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer']);
const ARRAY_RECONSTRUCT = new Set(['numpy.core.multiarray._reconstruct', 'numpy._core.multiarray._reconstruct']);

function key(v: PyValue): PyKey {
  if (v instanceof PyBytes) return v.toString();
  if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean') return v;
  throw new TypeError('unsupported dict key type');
}

/**
 * Unpickles `bytes`.
 * @param file used in messages only
 * @returns the pickled value; numpy arrays as {@link NdArray} (their data a view into `bytes`),
 *   `str` of Python 2 and `bytes` as {@link PyBytes}, dicts as `Map`, tuples and lists as arrays
 * @throws naming the file and byte offset for an unsupported opcode or global, or a truncated or
 *   malformed stream
 */
// eslint-disable-next-line complexity, max-lines-per-function -- one flat switch over the pickle opcodes, as CPython's own unpickler; splitting it would scatter the stack machine
export function unpickle(bytes: Uint8Array, file: string): PyValue {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (start: number, end: number, enc: 'utf8' | 'latin1'): string => Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString(enc);
  const stack: StackItem[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let op = 0;
  let opAt = 0;
  const fail = (why: string): never => {
    throw new Error(`${file}: pickle ${why} at byte ${opAt}`);
  };
  const need = (n: number): number => {
    if (pos + n > bytes.length) fail(`truncated (opcode 0x${op.toString(16)} needs ${n} bytes)`);
    const at = pos;
    pos += n;
    return at;
  };
  const u8 = (): number => bytes[need(1)];
  const u16 = (): number => view.getUint16(need(2), true);
  const u32 = (): number => view.getUint32(need(4), true);
  const u64 = (): number => {
    const at = need(8);
    const v = view.getBigUint64(at, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) fail('length too large');
    return Number(v);
  };
  const line = (): string => {
    const end = bytes.indexOf(0x0a, pos);
    if (end < 0) fail('truncated (no newline)');
    const s = text(pos, end, 'utf8');
    pos = end + 1;
    return s;
  };
  const pop = (): PyValue => {
    const v = stack.pop();
    if (v === undefined || v === MARK) fail('stack underflow');
    return v as PyValue;
  };
  const popMark = (): PyValue[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) fail('has no MARK');
    const items = stack.splice(i) as PyValue[];
    items.shift();
    return items;
  };
  const top = (): PyValue => {
    const v = stack[stack.length - 1];
    if (v === undefined || v === MARK) fail('stack underflow');
    return v as PyValue;
  };
  const push = (v: PyValue): void => {
    stack.push(v);
  };
  const bytesValue = (n: number): PyBytes => new PyBytes(bytes.subarray(need(n), pos));
  const tuple = (items: PyValue[]): Tuple => Object.assign(new Tuple(), items);
  const call = (fn: PyValue, args: PyValue): PyValue => {
    if (!(fn instanceof PyGlobal) || !Array.isArray(args)) return fail('REDUCE of a non-global');
    const name = `${fn.module}.${fn.name}`;
    if (ARRAY_RECONSTRUCT.has(name) || name === 'numpy.ndarray') return new NdArray();
    if (FROM_BUFFER.has(name)) {
      // numpy's protocol-5 reduction: _frombuffer(buffer, dtype, shape, order)
      const [buf, dtype, shape, order] = args;
      if (!(buf instanceof PyBytes) || !(dtype instanceof Dtype) || !Array.isArray(shape)) return fail(`${name} with unexpected arguments`);
      return Object.assign(new NdArray(), { data: buf.bytes, dtype: dtype.str, shape: Array.from(shape, Number), fortranOrder: order === 'F' });
    }
    if (name === 'numpy.dtype') return new Dtype(String(args[0] instanceof PyBytes ? args[0].toString() : args[0]));
    if (name === '_codecs.encode') {
      const s = args[0];
      if (typeof s !== 'string') return fail('_codecs.encode of a non-string');
      return new PyBytes(Uint8Array.from(s, (c) => c.charCodeAt(0) & 0xff));
    }
    return fail(`calls ${name}, which this reader does not run`);
  };
  const build = (obj: PyValue, state: PyValue): void => {
    if (obj instanceof NdArray) {
      // ndarray.__setstate__((version, shape, dtype, is_fortran, rawdata))
      if (!Array.isArray(state) || state.length < 5) fail('ndarray state is not a 5-tuple');
      const [, shape, dtype, fortran, raw] = state as PyValue[];
      if (!Array.isArray(shape) || !(dtype instanceof Dtype)) return void fail('ndarray state has no shape or dtype');
      obj.shape = Array.from(shape, Number);
      obj.dtype = dtype.str;
      obj.fortranOrder = fortran === true;
      if (raw instanceof PyBytes) obj.data = raw.bytes;
      else if (typeof raw === 'string') obj.data = Uint8Array.from(raw, (c) => c.charCodeAt(0) & 0xff);
      else fail('ndarray data is not bytes (object arrays are not supported)');
    } else if (obj instanceof Dtype) {
      // dtype.__setstate__((version, byteorder, ...)): '<', '>', '|' or '='.
      const order = Array.isArray(state) ? state[1] : undefined;
      const o = order instanceof PyBytes ? order.toString() : order;
      if ((o === '<' || o === '>') && !obj.str.startsWith('<') && !obj.str.startsWith('>')) obj.str = `${o}${obj.str}`;
    } else fail('BUILD of an unsupported object');
  };

  for (;;) {
    opAt = pos;
    if (pos >= bytes.length) fail('truncated (ends before its STOP opcode)');
    op = u8();
    switch (op) {
      case 0x80: u8(); break; // PROTO
      case 0x95: need(8); break; // FRAME
      case 0x2e: return pop(); // STOP
      case 0x28: stack.push(MARK); break; // MARK
      case 0x7d: push(new Map()); break; // EMPTY_DICT
      case 0x5d: push([]); break; // EMPTY_LIST
      case 0x29: push(tuple([])); break; // EMPTY_TUPLE
      case 0x74: push(tuple(popMark())); break; // TUPLE
      case 0x85: push(tuple([pop()])); break; // TUPLE1
      case 0x86: { const b = pop(); push(tuple([pop(), b])); break; } // TUPLE2
      case 0x87: { const c = pop(); const b = pop(); push(tuple([pop(), b, c])); break; } // TUPLE3
      case 0x6c: push(popMark()); break; // LIST
      case 0x64: { // DICT
        const items = popMark();
        const m = new Map<PyKey, PyValue>();
        for (let i = 0; i + 1 < items.length; i += 2) m.set(key(items[i]), items[i + 1]);
        push(m);
        break;
      }
      case 0x61: { const v = pop(); const l = top(); if (!Array.isArray(l)) fail('APPEND to a non-list'); (l as PyValue[]).push(v); break; } // APPEND
      case 0x65: { const items = popMark(); const l = top(); if (!Array.isArray(l)) fail('APPENDS to a non-list'); for (const v of items) (l as PyValue[]).push(v); break; } // APPENDS
      case 0x73: { const v = pop(); const k = pop(); const m = top(); if (!(m instanceof Map)) fail('SETITEM on a non-dict'); (m as Map<PyKey, PyValue>).set(key(k), v); break; } // SETITEM
      case 0x75: { // SETITEMS
        const items = popMark();
        const m = top();
        if (!(m instanceof Map)) fail('SETITEMS on a non-dict');
        for (let i = 0; i + 1 < items.length; i += 2) (m as Map<PyKey, PyValue>).set(key(items[i]), items[i + 1]);
        break;
      }
      case 0x71: memo.set(u8(), top()); break; // BINPUT
      case 0x72: memo.set(u32(), top()); break; // LONG_BINPUT
      case 0x94: memo.set(memo.size, top()); break; // MEMOIZE
      case 0x68: case 0x6a: { // BINGET, LONG_BINGET
        const i = op === 0x68 ? u8() : u32();
        if (!memo.has(i)) fail(`refers to memo ${i}, which is not set`);
        push(memo.get(i) as PyValue);
        break;
      }
      case 0x4a: push(view.getInt32(need(4), true)); break; // BININT
      case 0x4b: push(u8()); break; // BININT1
      case 0x4d: push(u16()); break; // BININT2
      case 0x8a: { // LONG1
        const n = u8();
        const at = need(n);
        let v = 0n;
        for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i]);
        if (n > 0 && bytes[at + n - 1] & 0x80) v -= 1n << BigInt(8 * n);
        push(v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v);
        break;
      }
      case 0x47: push(view.getFloat64(need(8), false)); break; // BINFLOAT
      case 0x4e: push(null); break; // NONE
      case 0x88: push(true); break; // NEWTRUE
      case 0x89: push(false); break; // NEWFALSE
      case 0x55: push(bytesValue(u8())); break; // SHORT_BINSTRING
      case 0x54: push(bytesValue(u32())); break; // BINSTRING
      case 0x43: push(bytesValue(u8())); break; // SHORT_BINBYTES
      case 0x42: push(bytesValue(u32())); break; // BINBYTES
      case 0x8e: push(bytesValue(u64())); break; // BINBYTES8
      case 0x96: push(bytesValue(u64())); break; // BYTEARRAY8 (read as bytes)
      case 0x8c: { const n = u8(); const at = need(n); push(text(at, at + n, 'utf8')); break; } // SHORT_BINUNICODE
      case 0x58: { const n = u32(); const at = need(n); push(text(at, at + n, 'utf8')); break; } // BINUNICODE
      case 0x8d: { const n = u64(); const at = need(n); push(text(at, at + n, 'utf8')); break; } // BINUNICODE8
      case 0x63: { const module = line(); push(new PyGlobal(module, line())); break; } // GLOBAL
      case 0x93: { const name = pop(); const module = pop(); push(new PyGlobal(String(module), String(name))); break; } // STACK_GLOBAL
      case 0x52: { const args = pop(); push(call(pop(), args)); break; } // REDUCE
      case 0x81: { const args = pop(); push(call(pop(), args)); break; } // NEWOBJ
      case 0x62: { const state = pop(); build(top(), state); break; } // BUILD
      case 0x30: pop(); break; // POP
      case 0x31: popMark(); break; // POP_MARK
      case 0x32: push(top()); break; // DUP
      default: fail(`opcode 0x${op.toString(16).padStart(2, '0')} is not supported by this reader`);
    }
  }
}
