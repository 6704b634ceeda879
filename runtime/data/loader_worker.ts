/**
 * Entry point of the batch worker thread (see loader.ts for the protocol and worker_path.ts for
 * how this file is found from source and from a bundle). Builds requested batches with
 * {@link BatchBuilder} from the dataset's shared pixels and transfers them back.
 */
import { parentPort } from 'node:worker_threads';
import { BatchBuilder, epochOrder } from './batch';
import type { FromWorker, ToWorker } from './worker_protocol';

const port = parentPort;
if (!port) throw new Error('loader_worker.ts must run as a worker thread');

let builder: BatchBuilder | null = null;
let cachedEpoch: number | null = null;
let cachedOrder: Int32Array | null = null;
let cancelledBefore = 0;

port.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    builder = new BatchBuilder(msg.plan, msg.images, msg.labels);
    return;
  }
  if (msg.type === 'cancel') {
    cancelledBefore = Math.max(cancelledBefore, msg.before);
    return;
  }
  if (msg.gen < cancelledBefore) return;
  try {
    if (!builder) throw new Error('batch worker: batch requested before init');
    if (cachedEpoch !== msg.epoch) {
      cachedOrder = epochOrder(builder.plan, msg.epoch);
      cachedEpoch = msg.epoch;
    }
    const b = builder.build(msg.epoch, msg.step, cachedOrder);
    const reply: FromWorker = { type: 'batch', gen: msg.gen, batch: b };
    const transfer = [b.x.buffer, b.y.buffer, ...(b.x2 ? [b.x2.buffer] : []), ...(b.mix ? b.mix.labels.map((l) => l.buffer) : [])] as ArrayBuffer[];
    port.postMessage(reply, transfer);
  } catch (err) {
    const e = err as Error;
    const reply: FromWorker = { type: 'error', gen: msg.gen, step: msg.step, message: e.message, stack: e.stack };
    port.postMessage(reply);
  }
});
