/**
 * Ring all-reduce over TCP sockets: the algorithm of Gloo's and NCCL's ring (Patarasuk & Yuan,
 * 2009). The N ranks form a ring (rank r sends to r+1 and receives from r-1, mod N). A buffer of
 * L elements is cut into N chunks (boundaries ⌊L·i/N⌋, so any L works, even L < N);
 *
 * - reduce-scatter, N-1 steps: at step k rank r sends chunk (r-k) and adds the chunk (r-k-1) it
 *   receives into its own; afterwards rank r holds the full sum of chunk (r+1);
 * - all-gather, N-1 steps: at step k rank r sends chunk (r+1-k) and overwrites chunk (r-k) with
 *   the one it receives.
 *
 * Each rank sends and receives 2·(N-1)/N·L elements whatever N is (bandwidth-optimal), and every
 * rank ends with bit-identical values (each chunk is summed once, then copied), which keeps the
 * replicas' weights identical. Each message carries an 8-byte header (operation number, element
 * count) so ranks that disagree on what they reduce fail with a clear error instead of mixing data.
 *
 * The ranks find each other through a rendezvous at rank 0 (`masterAddr:masterPort`, as
 * PyTorch's env:// init): every rank opens a ring listener on a free port, registers it, and gets
 * the table of all ranks back. A rank that dies closes its sockets; its neighbours' pending and
 * later operations then reject with a {@link DistError} naming it, and the error travels the
 * ring as each rank exits.
 */
import * as net from 'node:net';
import * as os from 'node:os';
import { StreamReader } from './stream';

/** A failure of the process group (a rank died, timed out or disagreed). */
export class DistError extends Error {
  override name = 'DistError';
}

/** One rank as registered at the rendezvous. */
export interface PeerInfo {
  rank: number;
  /** Address the ring listener of this rank is reachable at. */
  host: string;
  port: number;
  pid: number;
  hostname: string;
}

/** How to join the process group. */
export interface RingOptions {
  rank: number;
  worldSize: number;
  /** Host of rank 0's rendezvous listener (`127.0.0.1` on one machine). */
  masterAddr: string;
  /** Port of rank 0's rendezvous listener. */
  masterPort: number;
  /** Time allowed for all ranks to join and connect; default 120 s (`ICL_DIST_TIMEOUT_S`). */
  timeoutMs?: number;
}

/** Elements that can be reduced. */
export type ReduceArray = Float32Array | Float64Array;

/** Cumulative cost of the collective operations of a {@link RingComm}. */
export interface CommStats {
  /** Operations done. */
  ops: number;
  /** Bytes sent by this rank (payload and headers). */
  bytesSent: number;
  /** Wall time spent inside operations (including waiting for slower ranks), ms. */
  ms: number;
}

const HEADER = 8;
/** Operation number of the frame that reports a failure (its payload: the cause, UTF-8). */
const ABORT_OP = 0xffffffff;

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

function defaultTimeoutMs(): number {
  const s = Number(process.env.ICL_DIST_TIMEOUT_S);
  return Number.isFinite(s) && s > 0 ? s * 1000 : 120_000;
}

function listen(server: net.Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number, what: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DistError(what())), ms);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Reads one `\n`-terminated JSON line from a socket. */
function readJsonLine(socket: net.Socket): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString('utf8');
      const i = text.indexOf('\n');
      if (i < 0) return;
      cleanup();
      try {
        resolve(JSON.parse(text.slice(0, i)));
      } catch (e) {
        reject(e as Error);
      }
    };
    const onEnd = () => {
      cleanup();
      reject(new DistError('rendezvous connection closed before a reply'));
    };
    const cleanup = () => {
      socket.removeListener('data', onData);
      socket.removeListener('close', onEnd);
      socket.removeListener('error', onEnd);
    };
    socket.on('data', onData);
    socket.on('close', onEnd);
    socket.on('error', onEnd);
  });
}

/**
 * Rank 0's rendezvous server: waits for the `worldSize - 1` other registrations, checks them, and
 * answers every rank with the table of all of them (rank 0's own entry is `self`).
 */
async function serveRendezvous(server: net.Server, worldSize: number, self: PeerInfo): Promise<PeerInfo[]> {
  const peers = new Map<number, { info: PeerInfo; socket: net.Socket | null }>([[0, { info: self, socket: null }]]);
  await new Promise<void>((resolve, reject) => {
    server.on('connection', (socket) => {
      socket.on('error', () => undefined);
      readJsonLine(socket).then(
        (msg) => {
          const m = msg as Partial<PeerInfo> & { worldSize?: number };
          const bad = (why: string) => {
            socket.end(`${JSON.stringify({ error: why })}\n`);
          };
          if (m.worldSize !== worldSize) return bad(`world size ${m.worldSize} differs from rank 0's ${worldSize}`);
          if (typeof m.rank !== 'number' || m.rank < 1 || m.rank >= worldSize) return bad(`rank ${m.rank} is outside 1..${worldSize - 1}`);
          if (peers.has(m.rank)) return bad(`rank ${m.rank} joined twice`);
          peers.set(m.rank, { info: m as PeerInfo, socket });
          if (peers.size === worldSize) resolve();
        },
        () => socket.destroy(),
      );
    });
    server.on('error', reject);
  });
  const table = [...peers.values()].map((p) => p.info).sort((a, b) => a.rank - b.rank);
  for (const p of peers.values()) p.socket?.end(`${JSON.stringify({ peers: table })}\n`);
  return table;
}

/** A member of a process group that reduces buffers with the ring algorithm. */
export class RingComm {
  readonly stats: CommStats = { ops: 0, bytesSent: 0, ms: 0 };
  private failure: Error | null = null;
  private closed = false;
  private opId = 0;
  private sendFailure: Error | null = null;
  private queue: Promise<void> = Promise.resolve();
  private reader: StreamReader | null = null;

  private constructor(
    readonly rank: number,
    readonly worldSize: number,
    /** Every rank of the group, by rank. */
    readonly peers: PeerInfo[],
    private readonly out: net.Socket | null,
    private readonly inp: net.Socket | null,
  ) {}

  /** A group of one: every operation is the identity, nothing is opened. */
  static single(): RingComm {
    return new RingComm(0, 1, [{ rank: 0, host: '', port: 0, pid: process.pid, hostname: os.hostname() }], null, null);
  }

  /**
   * Joins the group: rank 0 serves the rendezvous at masterAddr:masterPort, every rank registers
   * its ring listener, then connects to rank+1 and accepts rank-1.
   * @throws DistError when the group does not form within the timeout (naming what is missing),
   *   or the rendezvous rejects this rank (world size mismatch, duplicate rank)
   */
  static async connect(opts: RingOptions): Promise<RingComm> {
    const { rank, worldSize } = opts;
    if (!Number.isInteger(worldSize) || worldSize < 1) throw new DistError(`world size must be a positive integer, got ${worldSize}`);
    if (!Number.isInteger(rank) || rank < 0 || rank >= worldSize) throw new DistError(`rank ${rank} is outside 0..${worldSize - 1}`);
    if (worldSize === 1) return RingComm.single();
    const timeoutMs = opts.timeoutMs ?? defaultTimeoutMs();
    const deadline = Date.now() + timeoutMs;
    const loopback = isLoopback(opts.masterAddr);
    const ringServer = net.createServer();
    await listen(ringServer, 0, loopback ? '127.0.0.1' : '0.0.0.0');
    const ringPort = (ringServer.address() as net.AddressInfo).port;
    const prev = (rank - 1 + worldSize) % worldSize;
    const next = (rank + 1) % worldSize;
    // The connection from rank-1 may arrive before we have the table.
    const incoming = new Promise<net.Socket>((resolve, reject) => {
      ringServer.on('connection', (s) => {
        s.once('data', (d: Buffer) => {
          const from = d.length >= 4 ? d.readUInt32LE(0) : -1;
          if (from !== prev) {
            s.destroy();
            reject(new DistError(`rank ${rank}: ring connection from rank ${from}, expected rank ${prev}`));
            return;
          }
          // Hold what follows until the reader attaches (a flowing stream without a 'data'
          // listener drops it).
          s.pause();
          if (d.length > 4) s.unshift(d.subarray(4));
          resolve(s);
        });
      });
    });
    incoming.catch(() => undefined);
    let master: net.Server | null = null;
    try {
      let peers: PeerInfo[];
      const self = (host: string): PeerInfo => ({ rank, host, port: ringPort, pid: process.pid, hostname: os.hostname() });
      const what = () => `rank ${rank}: the ${worldSize} ranks did not all join the rendezvous at ${opts.masterAddr}:${opts.masterPort} within ${Math.round(timeoutMs / 1000)} s (a worker failed to start?)`;
      if (rank === 0) {
        master = net.createServer();
        await listen(master, opts.masterPort, loopback ? '127.0.0.1' : '0.0.0.0');
        peers = await withTimeout(serveRendezvous(master, worldSize, self(loopback ? '127.0.0.1' : (process.env.ICL_DIST_HOST || os.hostname()))), deadline - Date.now(), what);
      } else {
        peers = await withTimeout(RingComm.register(opts, self, deadline), deadline - Date.now(), what);
      }
      const target = peers[next];
      const out = await withTimeout(RingComm.dial(target.host, target.port, deadline), deadline - Date.now(), () => `rank ${rank}: could not connect to rank ${next} at ${target.host}:${target.port}`);
      const hello = Buffer.alloc(4);
      hello.writeUInt32LE(rank, 0);
      out.write(hello);
      const inp = await withTimeout(incoming, deadline - Date.now(), () => `rank ${rank}: rank ${prev} did not connect within ${Math.round(timeoutMs / 1000)} s`);
      out.setNoDelay(true);
      inp.setNoDelay(true);
      ringServer.close();
      master?.close();
      const comm = new RingComm(rank, worldSize, peers, out, inp);
      return comm.attach();
    } catch (err) {
      ringServer.close();
      master?.close();
      throw err;
    }
  }

  /** Registers at rank 0's rendezvous (retrying until it listens) and returns the rank table. */
  private static async register(opts: RingOptions, self: (host: string) => PeerInfo, deadline: number): Promise<PeerInfo[]> {
    const socket = await RingComm.dial(opts.masterAddr, opts.masterPort, deadline);
    const host = isLoopback(opts.masterAddr) ? '127.0.0.1' : process.env.ICL_DIST_HOST || (socket.localAddress ?? os.hostname()).replace(/^::ffff:/, '');
    socket.write(`${JSON.stringify({ ...self(host), worldSize: opts.worldSize })}\n`);
    const reply = (await readJsonLine(socket)) as { peers?: PeerInfo[]; error?: string };
    socket.destroy();
    if (reply.error) throw new DistError(`rank ${opts.rank}: rendezvous refused: ${reply.error}`);
    return reply.peers ?? [];
  }

  /** Connects to host:port, retrying every 100 ms until the deadline (the listener may start later). */
  private static async dial(host: string, port: number, deadline: number): Promise<net.Socket> {
    for (;;) {
      try {
        return await new Promise<net.Socket>((resolve, reject) => {
          const s = net.connect({ host, port }, () => {
            s.removeListener('error', reject);
            resolve(s);
          });
          s.once('error', reject);
        });
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private attach(): this {
    const prev = (this.rank - 1 + this.worldSize) % this.worldSize;
    const next = (this.rank + 1) % this.worldSize;
    const lost = (who: number, err?: Error) =>
      new DistError(`rank ${this.rank} lost the connection to rank ${who}${err ? ` (${err.message})` : ''}: that worker exited or was killed`);
    const reader = new StreamReader(this.inp!, (err) => (this.closed ? new DistError('process group closed') : lost(prev, err)));
    this.reader = reader;
    // A closed outgoing socket fails the next send, not a pending receive: at the end of a run the
    // next rank may close while our last data from the previous rank is still on its way. A dead
    // rank is noticed by its successor, which passes the news on (see fail()).
    const onOut = (err?: Error) => {
      if (this.closed) return;
      this.sendFailure ??= lost(next, err);
    };
    this.out!.on('error', onOut);
    this.out!.on('close', () => onOut());
    // The outgoing socket carries no data back; drain anything to keep it flowing.
    this.out!.on('data', () => undefined);
    return this;
  }

  /** Host of every rank, e.g. for run_start. */
  get pids(): { rank: number; pid: number; host: string }[] {
    return this.peers.map((p) => ({ rank: p.rank, pid: p.pid, host: p.hostname }));
  }

  /**
   * Sums `buf` element-wise over all ranks, in place; every rank ends with the same values.
   * Operations run one at a time in the order they are called (which must be the same on every
   * rank); `buf` must not be touched until the promise resolves.
   */
  allReduce(buf: ReduceArray): Promise<void> {
    if (this.worldSize === 1) return Promise.resolve();
    const op = this.opId++ % ABORT_OP;
    const run = this.queue.then(() => this.ringAllReduce(buf, op));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async ringAllReduce(buf: ReduceArray, op: number): Promise<void> {
    if (this.closed) throw new DistError('process group closed');
    if (this.failure) throw this.failure;
    try {
      await this.ring(buf, op);
    } catch (err) {
      throw this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /**
   * Records the group's failure and tells the next rank why (an abort frame, then the end of
   * the stream), so a rank waiting on data that will never come fails with the root cause
   * instead of waiting forever; the news travels around the ring.
   */
  private fail(err: Error): Error {
    if (this.failure) return this.failure;
    this.failure = err;
    if (!this.closed && !this.sendFailure && this.out) {
      const msg = Buffer.from((err as DistError & { cause?: string }).cause ?? err.message, 'utf8');
      const frame = Buffer.allocUnsafe(HEADER + msg.length);
      frame.writeUInt32LE(ABORT_OP, 0);
      frame.writeUInt32LE(msg.length, 4);
      msg.copy(frame, HEADER);
      this.out.end(frame);
    }
    return err;
  }

  private async ring(buf: ReduceArray, op: number): Promise<void> {
    const W = this.worldSize;
    const t0 = performance.now();
    const r = this.rank;
    const n = buf.length;
    const bound = (i: number) => Math.floor((n * i) / W);
    const mod = (a: number) => ((a % W) + W) % W;
    for (let k = 0; k < W - 1; k++) {
      const sc = mod(r - k);
      const rc = mod(r - k - 1);
      this.send(op, buf.subarray(bound(sc), bound(sc + 1)));
      const dst = buf.subarray(bound(rc), bound(rc + 1));
      const got = await this.receive(op, dst);
      for (let i = 0; i < dst.length; i++) dst[i] += got[i];
    }
    for (let k = 0; k < W - 1; k++) {
      const sc = mod(r + 1 - k);
      const rc = mod(r - k);
      this.send(op, buf.subarray(bound(sc), bound(sc + 1)));
      const dst = buf.subarray(bound(rc), bound(rc + 1));
      dst.set(await this.receive(op, dst));
    }
    this.stats.ops++;
    this.stats.ms += performance.now() - t0;
  }

  /** Replaces `buf` on every rank by root's values. */
  async broadcast(buf: ReduceArray, root = 0): Promise<void> {
    if (this.rank !== root) buf.fill(0);
    await this.allReduce(buf);
  }

  /** Resolves once every rank has called it. */
  async barrier(): Promise<void> {
    await this.allReduce(new Float64Array(1));
  }

  /**
   * Resolves once everything this rank wrote to the next rank has left Node's write buffer for the
   * kernel (at once when nothing is queued or the socket is gone). Call it before blocking the
   * event loop (synchronised batch norm's `Atomics.wait`): data still queued in Node would only be
   * sent when the event loop runs again, and the next rank may be waiting for it.
   */
  flush(): Promise<void> {
    const out = this.out;
    if (!out || out.destroyed || out.writableLength === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        out.removeListener('drain', done);
        out.removeListener('close', done);
        resolve();
      };
      out.on('drain', done);
      out.on('close', done);
    });
  }

  /** Closes the sockets (a normal end). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.out?.end();
    this.out?.unref();
    this.inp?.unref();
  }

  /** Drops the sockets at once (tests: simulates a rank that dies). */
  abort(): void {
    this.closed = true;
    this.out?.destroy();
    this.inp?.destroy();
  }

  private send(op: number, part: ReduceArray): void {
    if (this.sendFailure) {
      this.failure ??= this.sendFailure;
      throw this.sendFailure;
    }
    const payload = Buffer.allocUnsafe(HEADER + part.byteLength);
    payload.writeUInt32LE(op >>> 0, 0);
    payload.writeUInt32LE(part.length, 4);
    Buffer.from(part.buffer, part.byteOffset, part.byteLength).copy(payload, HEADER);
    this.out!.write(payload);
    this.stats.bytesSent += payload.length;
  }

  private async receive<T extends ReduceArray>(op: number, like: T): Promise<T> {
    const reader = this.reader!;
    const header = await reader.read(HEADER);
    const gotOp = header.readUInt32LE(0);
    const count = header.readUInt32LE(4);
    if (gotOp === ABORT_OP) {
      const cause = (await reader.read(count)).toString('utf8');
      throw Object.assign(new DistError(`rank ${this.rank} stops: ${cause}`), { cause });
    }
    if (gotOp !== op >>> 0 || count !== like.length) {
      const e = new DistError(
        `rank ${this.rank}: ranks disagree on the collective operation (expected #${op} of ${like.length} elements, got #${gotOp} of ${count}): the workers ran different code or configs`,
      );
      throw e;
    }
    const bytes = await reader.read(count * like.BYTES_PER_ELEMENT);
    const out = new (like.constructor as new (n: number) => T)(count);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
}
