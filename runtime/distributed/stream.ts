/**
 * Exact-length reads from a byte stream (a socket): `read(n)` resolves with the next n bytes, in
 * order. Data that arrived before the stream closed is still delivered; a read that the closed
 * stream cannot satisfy rejects with the close reason.
 */
import type { Socket } from 'node:net';

interface PendingRead {
  n: number;
  resolve: (b: Buffer) => void;
  reject: (e: Error) => void;
}

export class StreamReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private pending: PendingRead | null = null;
  private failure: Error | null = null;

  /**
   * @param socket the stream to read (its 'data' is consumed by this reader from now on)
   * @param onClose error to reject unsatisfiable reads with when the stream ends or fails
   */
  constructor(socket: Socket, onClose: (err?: Error) => Error) {
    socket.on('data', (d: Buffer) => {
      this.chunks.push(d);
      this.buffered += d.length;
      this.drain();
    });
    const close = (err?: Error) => this.fail(onClose(err));
    socket.on('error', close);
    socket.on('close', () => close());
    socket.on('end', () => close());
    socket.resume();
  }

  /** Bytes received and not yet read. */
  get available(): number {
    return this.buffered;
  }

  /** The next `n` bytes (a fresh Buffer, safe to keep). */
  read(n: number): Promise<Buffer> {
    if (this.pending) return Promise.reject(new Error('StreamReader: only one read at a time'));
    if (n === 0) return Promise.resolve(Buffer.alloc(0));
    if (this.buffered >= n) return Promise.resolve(this.take(n));
    if (this.failure) return Promise.reject(this.failure);
    return new Promise<Buffer>((resolve, reject) => {
      this.pending = { n, resolve, reject };
    });
  }

  /** Fails pending and future unsatisfiable reads with `err` (first failure wins). */
  fail(err: Error): void {
    this.failure ??= err;
    const p = this.pending;
    if (p && this.buffered < p.n) {
      this.pending = null;
      p.reject(this.failure);
    }
  }

  private drain(): void {
    const p = this.pending;
    if (p && this.buffered >= p.n) {
      this.pending = null;
      p.resolve(this.take(p.n));
    }
  }

  private take(n: number): Buffer {
    const out = Buffer.allocUnsafe(n);
    let off = 0;
    while (off < n) {
      const c = this.chunks[0];
      const k = Math.min(c.length, n - off);
      c.copy(out, off, 0, k);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    this.buffered -= n;
    return out;
  }
}
