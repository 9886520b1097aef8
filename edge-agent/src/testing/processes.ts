/**
 * Runs edge-agent programs as child processes under plain Node (through tsx). node-opcua pulls in an ESM-only
 * dependency (hexy 0.4) that Jest's CommonJS runtime cannot require, while Node 20.19+ can; so tests that need
 * node-opcua run the agent and the steriliser simulator as real processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';

export const SRC = path.join(__dirname, '..');

export function runTs(file: string, args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', path.join(SRC, file), ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

/** Collects a child's stdout lines, and waits for one matching a pattern. */
export class Lines {
  readonly lines: string[] = [];
  private buf = '';
  constructor(child: ChildProcess) {
    child.stdout?.on('data', (d: Buffer) => {
      this.buf += d.toString();
      let nl: number;
      while ((nl = this.buf.indexOf('\n')) >= 0) {
        this.lines.push(this.buf.slice(0, nl));
        this.buf = this.buf.slice(nl + 1);
      }
    });
    child.stderr?.resume();
  }
  count(re: RegExp): number {
    return this.lines.filter((l) => re.test(l)).length;
  }
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
}
