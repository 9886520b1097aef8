import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@cradle/protocol/src/testing/free-port';
import mqtt from 'mqtt';

export interface PrivateBroker {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/**
 * A Mosquitto of the benchmark's own (the machine's binary, a free loopback port, no persistence), so a benchmark
 * measures only its own traffic: the machine's broker may be carrying a test suite's messages at the same time,
 * whose wildcard subscribers and queues would share it. Its CPU can be read by pid. Undefined when the machine has
 * no mosquitto binary.
 */
export async function startPrivateMosquitto(): Promise<PrivateBroker | undefined> {
  const binary = ['/usr/sbin/mosquitto', '/usr/bin/mosquitto', '/usr/local/sbin/mosquitto'].find((p) => fs.existsSync(p));
  if (!binary) return undefined;
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cradle-bench-mosquitto-'));
  const conf = path.join(dir, 'mosquitto.conf');
  // The queue limit of the deployment's broker (docker/mosquitto.conf), which is sized so that a gateway behind by a
  // while does not make the broker drop its ingest; the broker's defaults otherwise.
  fs.writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 100000\n${process.env.BENCH_MOSQUITTO_LOG ? `log_dest file ${process.env.BENCH_MOSQUITTO_LOG}\nlog_type warning\nlog_type error\nlog_type notice\n` : "log_dest none\n"}`);
  const child: ChildProcess = spawn(binary, ['-c', conf], { stdio: 'ignore' });
  const url = `mqtt://127.0.0.1:${port}`;
  const cleanup = () => fs.rmSync(dir, { recursive: true, force: true });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const probe = await mqtt.connectAsync(url, { reconnectPeriod: 0, connectTimeout: 1000 }).catch((e: Error) => e);
    if (!(probe instanceof Error)) {
      await probe.endAsync();
      break;
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      cleanup();
      throw new Error(`private mosquitto did not start on ${url}: ${probe.message}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      cleanup();
    },
  };
}
