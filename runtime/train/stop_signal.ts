/**
 * The stop signal of a training run: SIGINT or SIGTERM asks the run to stop after the current step
 * (it then writes a checkpoint and ends `stopped`); the same signal again exits at once (code 130).
 * In data-parallel training every worker must stop at the same step: the local request travels with
 * each step's gradient exchange and at each epoch's end ({@link StopSignal.agreeAtEpochEnd}), and
 * the run stops when any worker was asked (the agreed flag), never on one worker alone.
 */
import type { ProcessGroup } from '../distributed/process_group';
import { anyOver } from '../distributed/sync';

/** Where the stop signal reports the first signal. */
export interface StopLogger {
  warn(message: string): void;
}

/** The stop request of one run; {@link StopSignal.dispose} removes its signal handlers. */
export class StopSignal {
  /** The signal received by this process, if any. */
  private signal: NodeJS.Signals | undefined;
  /** Data parallel: whether any worker was asked to stop, as agreed at the last exchange. */
  private agreed = false;
  private readonly onSignal = (sig: NodeJS.Signals): void => {
    if (this.signal) return;
    this.signal = sig;
    this.logger.warn(`${sig} received: stopping after this step and writing a checkpoint (send again to stop at once)`);
    process.once(sig, () => process.exit(130));
  };

  /** Installs the SIGINT and SIGTERM handlers. */
  constructor(
    private readonly logger: StopLogger,
    private readonly dist?: ProcessGroup,
  ) {
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Whether this process received a signal (what it contributes to the agreement). */
  get local(): boolean {
    return this.signal !== undefined;
  }

  /** Whether the run stops: this process's signal, or in data parallel the agreed flag. */
  requested(): boolean {
    return this.dist ? this.agreed : this.local;
  }

  /** The agreed flag of a step's gradient exchange (`gradExchange`'s `onStop`): once set, it stays. */
  readonly onExchange = (stop: boolean): void => {
    this.agreed ||= stop;
  };

  /** Data parallel: agrees at an epoch's end (a blocking all-reduce of one flag over the workers). */
  agreeAtEpochEnd(): void {
    if (this.dist) this.agreed = anyOver(this.dist, this.agreed || this.local);
  }

  /** Removes the signal handlers (a second signal then ends the process as Node does). */
  dispose(): void {
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }
}
