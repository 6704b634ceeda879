/**
 * The throughput meter of the training loop: images per second over the window since the last
 * logged step, and in data-parallel training the milliseconds per step spent in the gradient
 * all-reduce and in synchronised batch norm over the same window.
 */

/** Cumulative timers the meter reads at the window's ends (ms since the run started). */
export interface ThroughputClocks {
  /** The process group's all-reduce time (`ProcessGroup.stats.ms`), when data parallel. */
  commMs?: () => number;
  /** The time in synchronised batch norm's reductions, when it is on. */
  bnMs?: () => number;
}

/** One window's figures. */
export interface ThroughputFigures {
  /** Images per second since the window began (wall clock). */
  imagesPerSec: number;
  /** All-reduce ms per step of the window (data parallel only). */
  allreduceMsPerStep?: number;
  /** Synchronised BN ms per step of the window (when on). */
  syncBnMsPerStep?: number;
}

/** Images per second and communication ms per step over a window of steps. */
export class ThroughputMeter {
  private start = Date.now();
  private images = 0;
  private steps = 0;
  private commAtStart = 0;
  private bnAtStart = 0;

  constructor(private readonly clocks: ThroughputClocks = {}) {
    this.reset();
  }

  /** Counts one step of `n` images. */
  add(n: number): void {
    this.images += n;
    this.steps++;
  }

  /** The figures of the window so far. */
  figures(): ThroughputFigures {
    const seconds = (Date.now() - this.start) / 1000;
    const perStep = (now: number, atStart: number) => (now - atStart) / Math.max(this.steps, 1);
    const { commMs, bnMs } = this.clocks;
    return {
      imagesPerSec: this.images / Math.max(seconds, 1e-9),
      ...(commMs ? { allreduceMsPerStep: perStep(commMs(), this.commAtStart) } : {}),
      ...(bnMs ? { syncBnMsPerStep: perStep(bnMs(), this.bnAtStart) } : {}),
    };
  }

  /** Starts a new window (after a logged step). */
  reset(): void {
    this.start = Date.now();
    this.images = 0;
    this.steps = 0;
    this.commAtStart = this.clocks.commMs?.() ?? 0;
    this.bnAtStart = this.clocks.bnMs?.() ?? 0;
  }
}
