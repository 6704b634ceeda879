/**
 * A *blocking* all-reduce for small buffers, for synchronised batch norm (PyTorch's
 * `nn.SyncBatchNorm`): batch norm needs the global statistics inside the forward pass and the
 * backward pass of a TensorFlow.js gradient tape, which is synchronous code, while the gradient
 * ring (./ring.ts) runs on the event loop.
 *
 * Each rank starts a worker thread that owns its own TCP connections, a full mesh to every other
 * rank, separate from the gradient ring. {@link SyncCollective.allReduce} writes the buffer into a
 * SharedArrayBuffer, posts the request to the thread and blocks in `Atomics.wait`; the thread sends
 * the buffer to every other rank, sums the N buffers in rank order (so every rank gets bit-identical
 * float64 sums), writes the result back and wakes the caller with `Atomics.notify`. One hop of
 * latency whatever N is; each rank sends (N-1)·L values, fine for the few thousand values of BN.
 *
 * Failures never hang: a rank that dies closes its sockets and a waiting rank fails at once naming
 * it; a rank that fails sends its cause to the others (an abort frame) before closing; a rank that
 * stops answering (stuck, stopped) makes the others fail after the timeout. Each frame carries the
 * operation number and length, so ranks that run different layers fail with "ranks disagree"
 * instead of mixing data. Created from (and closed with) the process group's {@link RingComm},
 * whose rendezvous table gives the hosts; the listening ports are exchanged through that ring.
 *
 * The thread's code is plain JavaScript evaluated from a string (no file to ship beside bundles).
 */
import * as net from 'node:net';
import { Worker } from 'node:worker_threads';
import { DistError, type RingComm } from './ring';

/** Options of {@link SyncCollective.create}. */
export interface SyncCollectiveOptions {
  /**
   * Longest wait of one operation for the other ranks, ms; default `ICL_SYNC_BN_TIMEOUT_S` seconds,
   * else 300 s (long enough for rank 0 writing a big checkpoint while the others wait).
   */
  timeoutMs?: number;
  /** Longest wait for the connections at creation, ms; default `ICL_DIST_TIMEOUT_S` s, else 120 s. */
  connectTimeoutMs?: number;
}

/** Cumulative cost of a {@link SyncCollective}'s operations. */
export interface SyncCollectiveStats {
  ops: number;
  /** float64 values reduced (this rank's contribution). */
  values: number;
  /** Wall time spent blocked in operations (including waiting for slower ranks), ms. */
  ms: number;
}

// Control words (Int32) at the start of the control buffer; the error message (UTF-8) follows.
const STATE = 0;
const ERR_LEN = 1;
const CTRL_BYTES = 16;
const ERR_BYTES = 4096;
const IDLE = 0;
const PENDING = 1;
const DONE = 2;
const FAILED = 3;
/** float64 values the data buffer holds at first (BN of up to 2047 channels); it grows on demand. */
const INITIAL_VALUES = 4096;

function envMs(name: string, fallbackS: number): number {
  const s = Number(process.env[name]);
  return (Number.isFinite(s) && s > 0 ? s : fallbackS) * 1000;
}

/** The worker thread: owns the mesh of sockets and does the summing. Plain CommonJS JavaScript. */
const THREAD_SOURCE = String.raw`
'use strict';
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const { rank, worldSize, ctrlSab, dataSab, bindHost } = workerData;
const STATE = ${STATE}, ERR_LEN = ${ERR_LEN}, CTRL_BYTES = ${CTRL_BYTES}, ERR_BYTES = ${ERR_BYTES};
const DONE = ${DONE}, FAILED = ${FAILED};
const ABORT_OP = 0xffffffff;
const ctrl = new Int32Array(ctrlSab, 0, CTRL_BYTES / 4);
const errBytes = new Uint8Array(ctrlSab, CTRL_BYTES, ERR_BYTES);
let data = new Float64Array(dataSab); // replaced when the caller grows it
const peers = []; // by rank: { socket, buf, frames, closed }
let failure = null;
let closing = false;
let pending = null; // { op, values }
let opId = 0;

function publishFailure() {
  const b = Buffer.from(failure, 'utf8').subarray(0, ERR_BYTES);
  errBytes.set(b);
  Atomics.store(ctrl, ERR_LEN, b.length);
  Atomics.store(ctrl, STATE, FAILED);
  Atomics.notify(ctrl, STATE);
}

function fail(message, tell) {
  if (failure === null) {
    failure = message;
    for (const p of peers) {
      if (!p || p.closed) continue;
      if (tell) {
        const msg = Buffer.from(message, 'utf8');
        const h = Buffer.allocUnsafe(8);
        h.writeUInt32LE(ABORT_OP, 0);
        h.writeUInt32LE(msg.length, 4);
        p.socket.end(Buffer.concat([h, msg]));
      } else {
        p.socket.end();
      }
    }
  }
  if (pending) {
    pending = null;
    publishFailure();
  }
}

function lost(s, err) {
  return 'rank ' + rank + ' lost the connection to rank ' + s + ' (synchronised batch norm' + (err ? ', ' + err.message : '') + '): that worker exited or was killed';
}

function tryComplete() {
  if (!pending) return;
  for (let s = 0; s < worldSize; s++) {
    if (s === rank) continue;
    const p = peers[s];
    if (p.frames.length === 0) {
      if (p.closed) fail(p.closeReason || lost(s), false);
      return;
    }
  }
  const { op, values } = pending;
  const out = new Float64Array(values.length);
  for (let s = 0; s < worldSize; s++) {
    let v = values;
    if (s !== rank) {
      const f = peers[s].frames.shift();
      if (f.op !== op || f.values.length !== values.length) {
        fail('rank ' + rank + ': ranks disagree on the synchronised batch norm operation (expected #' + op + ' of ' + values.length +
          ' values, rank ' + s + ' sent #' + f.op + ' of ' + f.values.length + '): the workers ran different models or code', true);
        return;
      }
      v = f.values;
    }
    for (let i = 0; i < out.length; i++) out[i] += v[i];
  }
  pending = null;
  data.set(out);
  Atomics.store(ctrl, STATE, DONE);
  Atomics.notify(ctrl, STATE);
}

function onFrameData(s, chunk) {
  const p = peers[s];
  p.buf = p.buf.length ? Buffer.concat([p.buf, chunk]) : chunk;
  for (;;) {
    if (p.buf.length < 8) return;
    const op = p.buf.readUInt32LE(0);
    const len = p.buf.readUInt32LE(4);
    const bytes = op === ABORT_OP ? len : len * 8;
    if (p.buf.length < 8 + bytes) return;
    const body = p.buf.subarray(8, 8 + bytes);
    p.buf = p.buf.subarray(8 + bytes);
    if (op === ABORT_OP) {
      fail('rank ' + rank + ' stops: ' + body.toString('utf8'), true);
      return;
    }
    const values = new Float64Array(len);
    new Uint8Array(values.buffer).set(body);
    p.frames.push({ op, values });
    tryComplete();
  }
}

function attach(s, socket, rest) {
  socket.setNoDelay(true);
  const p = { socket, buf: Buffer.alloc(0), frames: [], closed: false, closeReason: null };
  peers[s] = p;
  const onClose = (err) => {
    if (p.closed) return;
    p.closed = true;
    if (!closing && failure === null && err) p.closeReason = lost(s, err);
    tryComplete();
  };
  socket.on('data', (d) => {
    try {
      onFrameData(s, d);
    } catch (e) {
      fail('rank ' + rank + ': synchronised batch norm failed: ' + (e && e.message), true);
    }
  });
  socket.on('error', onClose);
  socket.on('end', () => onClose());
  socket.on('close', () => onClose());
  if (rest && rest.length) onFrameData(s, rest);
}

const server = net.createServer();
const accepted = new Map();
let onAccepted = () => {};
server.on('connection', (socket) => {
  let head = Buffer.alloc(0);
  const onData = (d) => {
    head = Buffer.concat([head, d]);
    if (head.length < 4) return;
    socket.removeListener('data', onData);
    socket.pause();
    const from = head.readUInt32LE(0);
    accepted.set(from, { socket, rest: head.subarray(4) });
    onAccepted();
  };
  socket.on('data', onData);
  socket.on('error', () => {});
});
server.listen(0, bindHost, () => parentPort.postMessage({ type: 'listening', port: server.address().port }));
server.on('error', (e) => parentPort.postMessage({ type: 'failed', message: 'rank ' + rank + ': synchronised batch norm could not listen: ' + e.message }));

function dial(host, port, deadline) {
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect({ host, port }, () => { s.removeListener('error', retry); resolve(s); });
      const retry = (e) => { if (Date.now() > deadline) reject(e); else setTimeout(attempt, 50); };
      s.once('error', retry);
    };
    attempt();
  });
}

async function connect(hosts, ports, deadline) {
  // Rank r dials every lower rank and accepts every higher one.
  const dials = [];
  for (let s = 0; s < rank; s++) {
    dials.push(dial(hosts[s], ports[s], deadline).then((socket) => {
      const hello = Buffer.alloc(4);
      hello.writeUInt32LE(rank, 0);
      socket.write(hello);
      attach(s, socket, null);
    }));
  }
  const higher = worldSize - 1 - rank;
  const accepts = new Promise((resolve) => {
    onAccepted = () => { if ([...accepted.keys()].filter((k) => k > rank).length >= higher) resolve(); };
    onAccepted();
  });
  await Promise.all([...dials, accepts]);
  for (const [from, { socket, rest }] of accepted) {
    if (from <= rank || from >= worldSize) { socket.destroy(); throw new Error('unexpected connection from rank ' + from); }
    attach(from, socket, rest);
    socket.resume();
  }
  server.close();
}

// Should this thread end unexpectedly, a waiting caller learns it at once instead of at the timeout.
process.on('exit', () => {
  if (closing) return;
  if (failure === null) failure = 'rank ' + rank + ': the synchronised batch norm thread exited unexpectedly';
  publishFailure();
});

parentPort.on('message', (m) => {
  try {
    if (m.type === 'connect') {
      connect(m.hosts, m.ports, m.deadline).then(
        () => parentPort.postMessage({ type: 'ready' }),
        (e) => parentPort.postMessage({ type: 'failed', message: 'rank ' + rank + ': synchronised batch norm could not connect to the other ranks: ' + e.message }),
      );
    } else if (m.type === 'reduce') {
      if (m.sab) data = new Float64Array(m.sab);
      if (failure !== null) { publishFailure(); return; }
      const values = data.slice(0, m.len);
      const op = opId++ % ABORT_OP;
      pending = { op, values };
      const frame = Buffer.allocUnsafe(8 + values.byteLength);
      frame.writeUInt32LE(op, 0);
      frame.writeUInt32LE(values.length, 4);
      Buffer.from(values.buffer, values.byteOffset, values.byteLength).copy(frame, 8);
      for (const p of peers) if (p && !p.closed) p.socket.write(frame);
      tryComplete();
    } else if (m.type === 'abort') {
      fail(m.message, true);
    } else if (m.type === 'close') {
      closing = true;
      for (const p of peers) if (p) p.socket.end();
      server.close();
      parentPort.close();
    }
  } catch (e) {
    fail('rank ' + rank + ': synchronised batch norm failed: ' + (e && e.message), true);
  }
});
`;

/**
 * One rank's end of the blocking small-buffer all-reduce (see the file comment). Create it with
 * {@link SyncCollective.create} on every rank of a process group, at the same point of the program.
 */
export class SyncCollective {
  readonly stats: SyncCollectiveStats = { ops: 0, values: 0, ms: 0 };
  private readonly ctrl: Int32Array;
  private readonly errBytes: Uint8Array;
  private data: Float64Array;
  private failure: DistError | null = null;
  private closed = false;

  private constructor(
    readonly rank: number,
    readonly worldSize: number,
    private readonly worker: Worker | null,
    ctrlSab: SharedArrayBuffer,
    dataSab: SharedArrayBuffer,
    private readonly timeoutMs: number,
  ) {
    this.ctrl = new Int32Array(ctrlSab, 0, CTRL_BYTES / 4);
    this.errBytes = new Uint8Array(ctrlSab, CTRL_BYTES, ERR_BYTES);
    this.data = new Float64Array(dataSab);
  }

  /**
   * Joins the collective of `comm`'s process group: every rank must call it at the same point
   * (it uses one all-reduce of `comm` to exchange the listening ports). A group of one needs no
   * thread: every operation is the identity.
   * @throws DistError when the connections are not made within the connect timeout, or the thread
   *   cannot listen
   */
  static async create(comm: RingComm, opts: SyncCollectiveOptions = {}): Promise<SyncCollective> {
    const timeoutMs = opts.timeoutMs ?? envMs('ICL_SYNC_BN_TIMEOUT_S', 300);
    const ctrlSab = new SharedArrayBuffer(CTRL_BYTES + ERR_BYTES);
    const dataSab = new SharedArrayBuffer(INITIAL_VALUES * 8);
    const { rank, worldSize } = comm;
    if (worldSize === 1) return new SyncCollective(rank, 1, null, ctrlSab, dataSab, timeoutMs);
    const connectMs = opts.connectTimeoutMs ?? envMs('ICL_DIST_TIMEOUT_S', 120);
    const hosts = comm.peers.map((p) => p.host);
    const loopback = hosts.every((h) => h === 'localhost' || h === '::1' || (net.isIP(h) === 4 && h.startsWith('127.')));
    const worker = new Worker(THREAD_SOURCE, { eval: true, workerData: { rank, worldSize, ctrlSab, dataSab, bindHost: loopback ? '127.0.0.1' : '0.0.0.0' } });
    const self = new SyncCollective(rank, worldSize, worker, ctrlSab, dataSab, timeoutMs);
    let onMessage: (m: { type: string; port?: number; message?: string }) => void = () => undefined;
    const next = (type: string) =>
      new Promise<{ port?: number }>((resolve, reject) => {
        const timer = setTimeout(() => reject(new DistError(`rank ${rank}: synchronised batch norm: the ${worldSize} ranks did not connect within ${Math.round(connectMs / 1000)} s`)), connectMs);
        onMessage = (m) => {
          clearTimeout(timer);
          if (m.type === type) resolve(m);
          else reject(new DistError(m.message ?? `rank ${rank}: synchronised batch norm: unexpected ${m.type} from its thread`));
        };
      });
    worker.on('message', (m) => onMessage(m));
    worker.on('error', (e) => {
      self.failure ??= new DistError(`rank ${rank}: the synchronised batch norm thread failed: ${e.message}`);
      onMessage({ type: 'failed', message: self.failure.message });
    });
    try {
      const { port } = await next('listening');
      const ports = new Float64Array(worldSize);
      ports[rank] = port!;
      await comm.allReduce(ports);
      const ready = next('ready');
      worker.postMessage({ type: 'connect', hosts, ports: Array.from(ports), deadline: Date.now() + connectMs });
      // A barrier on the ring alongside: a rank that dies meanwhile fails it at once (instead of
      // the others waiting for its connection until the timeout).
      await Promise.all([ready, comm.barrier()]);
    } catch (err) {
      await worker.terminate();
      throw err;
    }
    worker.unref();
    return self;
  }

  /**
   * Sums `values` element-wise over all ranks, in place, blocking the calling thread until every
   * rank has contributed. All ranks get bit-identical results (summed in rank order in float64).
   * Every rank must call it the same number of times with the same lengths, in the same order.
   * @param values this rank's float64 values (any length, small: a few thousand)
   * @throws DistError when a rank died (naming it), sent an abort (with its cause), disagreed on
   *   the operation, or did not answer within the timeout; every later call throws it too
   */
  allReduce(values: Float64Array): void {
    if (this.worldSize === 1) return;
    if (this.closed) throw new DistError(`rank ${this.rank}: synchronised batch norm used after its process group closed`);
    if (this.failure) throw this.failure;
    if (Atomics.load(this.ctrl, STATE) === FAILED) throw (this.failure = this.threadError()); // the thread ended meanwhile
    const t0 = performance.now();
    let sab: SharedArrayBuffer | undefined;
    if (values.length > this.data.length) {
      sab = new SharedArrayBuffer(Math.max(values.length, 2 * this.data.length) * 8);
      this.data = new Float64Array(sab);
    }
    this.data.set(values);
    Atomics.store(this.ctrl, STATE, PENDING);
    this.worker!.postMessage({ type: 'reduce', len: values.length, sab });
    const deadline = Date.now() + this.timeoutMs;
    for (;;) {
      const left = deadline - Date.now();
      if (Atomics.load(this.ctrl, STATE) !== PENDING || left <= 0) break;
      Atomics.wait(this.ctrl, STATE, PENDING, left);
    }
    const state = Atomics.load(this.ctrl, STATE);
    Atomics.store(this.ctrl, STATE, IDLE);
    if (state === DONE) {
      values.set(this.data.subarray(0, values.length));
      this.stats.ops++;
      this.stats.values += values.length;
      this.stats.ms += performance.now() - t0;
      return;
    }
    if (state === FAILED) {
      this.failure = this.threadError();
    } else {
      this.failure = new DistError(
        `rank ${this.rank}: synchronised batch norm got no answer from the other ranks within ${Math.round(this.timeoutMs / 1000)} s (a worker is stuck or stopped; ICL_SYNC_BN_TIMEOUT_S sets the limit)`,
      );
      this.worker!.postMessage({ type: 'abort', message: this.failure.message });
    }
    throw this.failure;
  }

  /** The failure the thread wrote into the control buffer. */
  private threadError(): DistError {
    const n = Atomics.load(this.ctrl, ERR_LEN);
    return new DistError(Buffer.from(this.errBytes.slice(0, n)).toString('utf8'));
  }

  /** Ends the connections (a normal end; the thread exits once they are closed). Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.worker?.postMessage({ type: 'close' });
  }

  /** Drops everything at once (tests: simulates a rank that dies). */
  abort(): Promise<number> {
    this.closed = true;
    return this.worker?.terminate() ?? Promise.resolve(0);
  }
}
