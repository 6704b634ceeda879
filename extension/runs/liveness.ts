/**
 * Is the training process of a run alive, and is it really that run's runtime? From run_start's `pid`
 * and `host`: only a process on this host can be checked or stopped; it must be alive, its command
 * line must be the runtime's train CLI, and it must have started before the run_start it wrote (a pid
 * reused by a later process is not the run). `checkRunProcess` is pure; `probeProcess` reads /proc
 * (Linux) or `ps` (macOS and other Unixes).
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { RunStartEvent } from '../../runtime/protocol/events';
import { pidAlive } from '../../runtime/protocol/run_folder';

/** What the OS says about a pid. `command` and `startMs` are undefined when they cannot be read. */
export interface ProcessFacts {
  alive: boolean;
  /** The command line, arguments joined by spaces. */
  command?: string;
  /** When the process started (ms since the epoch, to about a second). */
  startMs?: number;
}

/** The verdict on a run's recorded process. */
export type ProcessCheck =
  /** Alive on this host and verified to be the run's runtime: it may be stopped with SIGINT. */
  | { kind: 'running'; pid: number }
  /** On this host, but the process is gone (or the pid now belongs to something else). */
  | { kind: 'gone'; pid: number; reason: string }
  /** Recorded on another host: nothing here can tell or stop it. */
  | { kind: 'elsewhere'; pid: number; host: string }
  /** No pid recorded (an older runtime), or the OS did not say enough to be sure. */
  | { kind: 'unknown'; reason: string };

/** Command lines of the runtime's CLIs: sources (tsx), the bundle, the npm bin (`icl-train`). */
const CLI_RE = {
  train: /(^|[\s/])(runtime\/cli\/train\.ts|cli\/train\.js|icl-train)(\s|$)/,
  evaluate: /(^|[\s/])(runtime\/cli\/evaluate\.ts|cli\/evaluate\.js)(\s|$)/,
  queue: /(^|[\s/])(runtime\/cli\/queue\.ts|cli\/queue\.js)(\s|$)/,
};

/** True when a command line is the runtime's `cli` CLI (train, evaluate, queue). */
export const isRuntimeCommand = (cli: keyof typeof CLI_RE, command: string): boolean => CLI_RE[cli].test(command.replace(/\\/g, '/'));

/** True when a command line is the runtime's train CLI. */
export const isRuntimeTrainCommand = (command: string): boolean => isRuntimeCommand('train', command);

/** Slack between the process's start time (rounded to seconds by the OS) and its run_start. */
const START_SLACK_MS = 2000;

/** Checks the process that wrote `start` (the last run_start of a run that has no run_end yet). */
export function checkRunProcess(start: Pick<RunStartEvent, 'pid' | 'host' | 'time'>, hostname: string, probe: (pid: number) => ProcessFacts): ProcessCheck {
  const { pid, host } = start;
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return { kind: 'unknown', reason: 'the run recorded no process id' };
  if (host !== undefined && host !== hostname) return { kind: 'elsewhere', pid, host };
  const facts = probe(pid);
  if (!facts.alive) return { kind: 'gone', pid, reason: `process ${pid} is not running` };
  if (facts.command === undefined) return { kind: 'unknown', reason: `the command line of process ${pid} cannot be read` };
  if (!isRuntimeTrainCommand(facts.command)) return { kind: 'gone', pid, reason: `process ${pid} is not the runtime (${facts.command.slice(0, 80)})` };
  const startedMs = Date.parse(start.time);
  if (facts.startMs !== undefined && Number.isFinite(startedMs) && facts.startMs > startedMs + START_SLACK_MS) {
    return { kind: 'gone', pid, reason: `process ${pid} started after the run (its pid was reused)` };
  }
  return { kind: 'running', pid };
}

/**
 * Stops a run the extension did not start, from the check of its recorded process: SIGINT only to a
 * verified runtime process on this host. Returns the message for the user.
 */
export function stopExternal(name: string, check: ProcessCheck | undefined, kill: (pid: number) => void): string {
  if (!check) return `${name} has ended.`;
  switch (check.kind) {
    case 'running':
      try {
        kill(check.pid);
      } catch (err) {
        return `Could not stop ${name} (process ${check.pid}): ${(err as Error).message}.`;
      }
      return `Stopping ${name} (process ${check.pid}): it finishes the current step and writes a checkpoint.`;
    case 'elsewhere':
      return `${name} runs on ${check.host} (process ${check.pid}), not on this machine; stop it there with Ctrl+C (it then checkpoints).`;
    case 'gone':
      return `${name} is not running any more: ${check.reason}.`;
    case 'unknown':
      return `${name} was not started from this window and cannot be stopped from here (${check.reason}); stop it with Ctrl+C where it runs (it then checkpoints).`;
  }
}

let bootMs: number | undefined;
/** Linux: boot time from /proc/stat (`btime`, seconds). */
function linuxBootMs(): number | undefined {
  if (bootMs === undefined) {
    const m = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    bootMs = m ? Number(m[1]) * 1000 : undefined;
  }
  return bootMs;
}

/** Linux: start time of a pid from /proc/<pid>/stat (field 22, clock ticks after boot; USER_HZ is 100). */
function linuxStartMs(pid: number): number | undefined {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may hold spaces: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[22 - 3]);
  const boot = linuxBootMs();
  return boot !== undefined && Number.isFinite(ticks) ? boot + ticks * 10 : undefined;
}

/** What the OS says about `pid` on this machine. */
export function probeProcess(pid: number): ProcessFacts {
  if (!pidAlive(pid)) return { alive: false };
  if (process.platform === 'linux') {
    try {
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
      return { alive: true, command, startMs: linuxStartMs(pid) };
    } catch {
      // gone between the two reads, or /proc is not mounted
      return { alive: pidAlive(pid) };
    }
  }
  if (process.platform === 'win32') return { alive: true };
  try {
    const out = execFileSync('ps', ['-o', 'lstart=,command=', '-p', String(pid)], { encoding: 'utf8', timeout: 2000 }).trim();
    // `lstart` is `Sun Nov 29 21:13:54 2026` (24 characters), then the command.
    const startMs = Date.parse(out.slice(0, 24));
    return { alive: true, command: out.slice(24).trim(), startMs: Number.isFinite(startMs) ? startMs : undefined };
  } catch {
    return { alive: pidAlive(pid) };
  }
}
