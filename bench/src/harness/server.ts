import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { freePort } from '@cradle/protocol/src/testing/free-port';

export interface StartServerOptions {
  /** Executable, e.g. process.execPath. */
  command: string;
  args: string[];
  /** Extra environment on top of this process's; the chosen port is added as `portEnv`. */
  env?: Record<string, string | undefined>;
  /** The variable that tells the server its port (default PORT). */
  portEnv?: string;
  /** A path ('/readyz') resolved against the server's URL, or a full URL; polled until it answers 200. */
  readyUrl: string;
  timeoutMs?: number;
  cwd?: string;
}

export interface RunningServer {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL after a grace period; reads the peak RSS first. Safe to call twice. */
  stop(): Promise<void>;
  /** Peak resident set size (VmHWM), read live while running or the last reading taken just before stop. */
  peakRssBytes(): number | undefined;
  /** The last lines the server printed, for error messages. */
  outputTail(): string;
}

export class ServerStartError extends Error {
  override name = 'ServerStartError';
}

const TAIL_BYTES = 8192;

/** Peak resident set size of a Linux process from /proc/<pid>/status (VmHWM), or undefined when unreadable. */
export function readPeakRssBytes(pid: number): number | undefined {
  try {
    return parseVmHwm(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined; // not Linux, or the process is gone
  }
}

/** VmHWM from the text of /proc/<pid>/status, in bytes (the kernel reports kB, meaning KiB). */
export function parseVmHwm(status: string): number | undefined {
  const m = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return m ? Number(m[1]) * 1024 : undefined;
}

/**
 * Spawns a server on a free loopback port and resolves once `readyUrl` answers 200.
 * Fails fast if the process exits first, and with the server's last output if it does not get ready in time.
 */
export async function startServer(opts: StartServerOptions): Promise<RunningServer> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const readyUrl = new URL(opts.readyUrl, url).toString();
  const child = spawn(opts.command, opts.args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env, [opts.portEnv ?? 'PORT']: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let tail = '';
  const keepTail = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', keepTail);
  child.stderr?.on('data', keepTail);
  // BENCH_SERVER_LOG=<file>: the server's whole output is appended there as well, to look into a run afterwards.
  if (process.env.BENCH_SERVER_LOG) {
    const log = fs.createWriteStream(process.env.BENCH_SERVER_LOG, { flags: 'a' });
    child.stdout?.pipe(log, { end: false });
    child.stderr?.pipe(log, { end: false });
    child.once('exit', () => log.end());
  }

  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
  });
  let exitInfo: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  void exited.then((e) => {
    exitInfo = e;
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));

  const pid = child.pid;
  if (pid === undefined) {
    throw new ServerStartError(`could not start ${opts.command}: ${(await spawnError).message}`);
  }

  let lastPeak: number | undefined;
  let stopping: Promise<void> | undefined;
  const server: RunningServer = {
    url,
    port,
    pid,
    peakRssBytes: () => (exitInfo === undefined ? (readPeakRssBytes(pid) ?? lastPeak) : lastPeak),
    outputTail: () => tail,
    stop: () => {
      stopping ??= stopChild(child, exited, () => {
        lastPeak = readPeakRssBytes(pid) ?? lastPeak;
      });
      return stopping;
    },
  };

  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (exitInfo !== undefined) {
      throw new ServerStartError(
        `${opts.args.join(' ')} exited (code ${exitInfo.code}, signal ${exitInfo.signal}) before ${readyUrl} answered 200:\n${tail}`,
      );
    }
    try {
      const res = await fetch(readyUrl, { signal: AbortSignal.timeout(2000) });
      await res.arrayBuffer();
      if (res.status === 200) return server;
      lastProblem = `HTTP ${res.status}`;
    } catch (e) {
      lastProblem = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await server.stop();
  throw new ServerStartError(`${readyUrl} did not answer 200 within ${opts.timeoutMs ?? 60_000} ms (${lastProblem}):\n${tail}`);
}

async function stopChild(
  child: ChildProcess,
  exited: Promise<unknown>,
  beforeSignal: () => void,
  graceMs = 10_000,
): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  beforeSignal();
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
