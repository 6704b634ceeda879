/** One layer call recorded while tracing a forward pass (for `npm run summary`). */
export interface LayerRecord {
  /** Dotted layer name, e.g. `stage1.block1.conv1`. */
  name: string;
  /** Layer type, e.g. `Conv2d`, `BatchNorm2d`, `Linear`. */
  type: string;
  /** Output shape, NHWC or [N, features]. */
  outputShape: number[];
  /** Parameters owned by this layer (counted once, at its first call). */
  params: number;
  /** Multiply-accumulates of this call for the whole batch (as thop counts them). */
  macs: number;
}

let active: LayerRecord[] | null = null;

/** Runs `fn` while recording every layer call; returns fn's result and the records. */
export function traceLayers<T>(fn: () => T): { result: T; layers: LayerRecord[] } {
  const previous = active;
  const layers: LayerRecord[] = [];
  active = layers;
  try {
    return { result: fn(), layers };
  } finally {
    active = previous;
  }
}

/** Called by layers; records only while {@link traceLayers} runs. */
export function recordLayer(record: LayerRecord): void {
  active?.push(record);
}
