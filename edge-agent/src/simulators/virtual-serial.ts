/**
 * A virtual serial cable made with socat: two pseudo-terminals joined back to back, reachable through stable
 * symlinks. The agent opens one end as its scanner port; a simulator writes scans into the other.
 * Stopping the pair makes the ports disappear (as an unplugged USB scanner does); starting it again re-creates them.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';

export class VirtualSerialPair {
  private proc: ChildProcess | undefined;

  /** `agentEnd` and `deviceEnd` are the symlink paths socat creates. */
  constructor(
    readonly agentEnd: string,
    readonly deviceEnd: string,
  ) {}

  /** Starts socat and resolves once both ends exist. */
  async start(timeoutMs = 5000): Promise<void> {
    if (this.proc) return;
    const proc = spawn(
      'socat',
      [`pty,raw,echo=0,link=${this.deviceEnd}`, `pty,raw,echo=0,link=${this.agentEnd}`],
      { stdio: 'ignore' },
    );
    this.proc = proc;
    const spawnError = new Promise<never>((_, reject) => proc.once('error', reject));
    const ready = (async () => {
      const deadline = Date.now() + timeoutMs;
      while (!(fs.existsSync(this.agentEnd) && fs.existsSync(this.deviceEnd))) {
        if (Date.now() > deadline) throw new Error(`socat did not create ${this.agentEnd} in ${timeoutMs} ms`);
        if (proc.exitCode !== null) throw new Error(`socat exited with ${proc.exitCode}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    await Promise.race([ready, spawnError]);
  }

  /** Stops socat; both ports disappear. */
  async stop(): Promise<void> {
    const p = this.proc;
    this.proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await exited;
    for (const f of [this.agentEnd, this.deviceEnd]) fs.rmSync(f, { force: true });
  }
}
