/** A loopback HTTP server for download tests: serves files with Range support and injected faults. */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What the server does with a request for one path. */
export type Fault =
  /** Send the first `bytes` of the body (full Content-Length) and close the connection. */
  | { cut: number }
  /** Send the first `bytes` of the body, then nothing (the connection stays open). */
  | { stall: number };

/** A request the server saw. */
export interface SeenRequest {
  path: string;
  range?: string;
}

export interface TestServer {
  /** Base URL ending in `/`, e.g. `http://127.0.0.1:PORT/`. */
  url: string;
  requests: SeenRequest[];
  /** Faults for the next requests of a path, used once each, in order. */
  faults: Map<string, Fault[]>;
  close(): Promise<void>;
}

/** Serves `files` (path without the leading `/` → content) on 127.0.0.1; anything else is a 404. */
export async function serveFiles(files: Record<string, Buffer>): Promise<TestServer> {
  const requests: SeenRequest[] = [];
  const faults = new Map<string, Fault[]>();
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const name = decodeURIComponent((req.url ?? '/').slice(1));
    requests.push({ path: name, range: req.headers.range });
    const body = files[name];
    if (!body) {
      res.writeHead(404, 'Not Found').end('no such file\n');
      return;
    }
    let start = 0;
    const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
    if (m) {
      start = Number(m[1]);
      if (start >= body.length) {
        res.writeHead(416, { 'Content-Range': `bytes */${body.length}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Length': body.length - start, 'Content-Range': `bytes ${start}-${body.length - 1}/${body.length}` });
    } else res.writeHead(200, { 'Content-Length': body.length });
    const fault = faults.get(name)?.shift();
    if (!fault) {
      res.end(body.subarray(start));
      return;
    }
    if ('cut' in fault) res.write(body.subarray(start, start + fault.cut), () => req.socket.destroy());
    else res.write(body.subarray(start, start + fault.stall));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    requests,
    faults,
    close: () => new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}
