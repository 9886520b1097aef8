/**
 * The load generator, run as a process of its own (see load.ts) so autocannon never shares an event loop with
 * anything being measured. Reads LoadOptions as JSON from $CRADLE_BENCH_LOAD, prints one LOAD_MARKER line.
 */
import autocannon from 'autocannon';
import { LOAD_MARKER, LOAD_OPTIONS_ENV, type LoadOptions, summariseAutocannon } from './load-summary';

let sent = 0;
const runId = `${process.pid}-${Date.now().toString(36)}`;

/** Each request takes the next body, with `[<id>]` made unique. */
function rotatingBodies(o: LoadOptions): { requests: autocannon.Request[] } | Record<string, never> {
  const bodies = o.bodies;
  if (!bodies?.length) return {};
  return {
    requests: [
      {
        method: o.method ?? 'POST',
        setupRequest: (req: autocannon.Request) => {
          const n = sent++;
          return { ...req, body: bodies[n % bodies.length]!.replaceAll('[<id>]', `${runId}-${n}`) };
        },
      },
    ],
  };
}

function fire(o: LoadOptions, durationSec: number): Promise<autocannon.Result> {
  return autocannon({
    url: o.url,
    method: o.method ?? 'GET',
    headers: o.headers ?? {},
    ...(o.body === undefined ? {} : { body: o.body }),
    ...rotatingBodies(o),
    connections: o.connections,
    pipelining: o.pipelining ?? 1,
    duration: durationSec,
    timeout: o.timeoutSec ?? 10,
  });
}

async function main(): Promise<void> {
  const raw = process.env[LOAD_OPTIONS_ENV];
  if (raw === undefined) throw new Error(`${LOAD_OPTIONS_ENV} is not set`);
  const o = JSON.parse(raw) as LoadOptions;
  const host = new URL(o.url).hostname;
  // Load goes to this machine only.
  if (!['127.0.0.1', 'localhost', '[::1]', '::1'].includes(host)) throw new Error(`refusing to load ${host}: loopback only`);
  if (!(o.durationSec > 0 && o.durationSec <= 600)) throw new Error(`durationSec must be within (0, 600], got ${o.durationSec}`);
  if ((o.warmupSec ?? 0) > 0) await fire(o, Math.min(o.warmupSec ?? 0, 60));
  const result = await fire(o, o.durationSec);
  process.stdout.write(`${LOAD_MARKER}${JSON.stringify(summariseAutocannon(result))}\n`);
}

main().catch((e: unknown) => {
  process.stderr.write(`load worker: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
});
