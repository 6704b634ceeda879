/** Checkpoint file names, as the runtime writes them (`checkpoint_00010.ckpt`, `checkpoint_00003_step00120.ckpt`). */
export const CHECKPOINT_NAME_RE = /^checkpoint_(\d+)(?:_step(\d+))?\.ckpt$/;
