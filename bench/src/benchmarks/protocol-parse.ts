/**
 * Scan parsing throughput on one core: @cradle/protocol's parseScan (full GS1 validation: AI table, lengths,
 * character sets, check digits, dates, associations) against a naive baseline on the same inputs.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildSync } from 'esbuild';
import { parseScan } from '@cradle/protocol';
import { runStandalone } from '../harness/report';
import type { BenchResult } from '../types';

const GS = '\u001d';

/** A realistic line mix: can DataMatrix codes (01+17+10+21), case GS1-128 labels, consumer-style Digital Link QRs. */
function inputs(n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const serial = `S${(i * 7919).toString(36).toUpperCase().padStart(10, '0')}`;
    switch (i % 3) {
      case 0:
        out.push(`]d2010690123456789217270430${'10'}B2503${GS}21${serial}`);
        break;
      case 1:
        out.push(`]C100069012340000000429${GS}0206901234567892${'37'}${(i % 48) + 1}${GS}10B2503`);
        break;
      default:
        out.push(`]Q1https://id.gs1.org/01/06901234567892/10/B2503/21/${serial}?17=270430`);
    }
  }
  return out;
}

/** Baseline: strip AIM, split on GS, tokenise each chunk with a regex (fixed 01/02/17/00 else to end); no validation. */
const TOKEN = /^(0[0-2]|1[1-7])(\d{6,18}?)(?=(?:0[0-2]|1[0-7]|2[01]|37)|$)|^(\d{2,4}?)(.*)$/;
function naiveParse(raw: string): Record<string, string> {
  const data = raw.startsWith(']') ? raw.slice(3) : raw;
  const out: Record<string, string> = {};
  if (data.startsWith('http')) {
    const [path = '', query = ''] = data.slice(data.indexOf('/', 8)).split('?');
    const segs = path.split('/');
    for (let i = 1; i + 1 < segs.length; i += 2) out[segs[i] ?? ''] = segs[i + 1] ?? '';
    for (const kv of query.split('&')) {
      const [k = '', v = ''] = kv.split('=');
      out[k] = v;
    }
    return out;
  }
  for (let chunk of data.split(GS)) {
    while (chunk.length > 0) {
      const fixed = /^(00)(\d{18})|^(0[12])(\d{14})|^(1[1-7])(\d{6})/.exec(chunk);
      if (fixed) {
        const ai = fixed[1] ?? fixed[3] ?? fixed[5] ?? '';
        out[ai] = fixed[2] ?? fixed[4] ?? fixed[6] ?? '';
        chunk = chunk.slice(fixed[0].length);
        continue;
      }
      const m = TOKEN.exec(chunk);
      out[m?.[3] ?? chunk.slice(0, 2)] = m?.[4] ?? chunk.slice(2);
      chunk = '';
    }
  }
  return out;
}

function measure(fn: (s: string) => unknown, data: readonly string[], ms: number): number {
  let sink = 0;
  for (let i = 0; i < 20_000; i++) sink += fn(data[i % data.length] as string) ? 1 : 0; // warm-up (JIT)
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < ms) {
    for (let i = 0; i < data.length; i++) sink += fn(data[i] as string) ? 1 : 0;
    n += data.length;
    elapsed = performance.now() - start;
  }
  if (sink < 0) console.log(sink);
  return (n / elapsed) * 1000;
}

export default async function run(): Promise<BenchResult[]> {
  const data = inputs(3000);
  // The measured parser must actually accept every input, or the figure would flatter an early reject.
  const rejected = data.filter((s) => !parseScan(s).ok);
  if (rejected.length > 0) throw new Error(`bench inputs rejected: ${rejected[0]} ${JSON.stringify(parseScan(rejected[0] ?? ''))}`);
  const opts = { now: () => 1_740_000_000_000 };
  // The target is for element strings (what line scanners send); Digital Link URLs are measured in the mix.
  const elementStrings = data.filter((s) => !s.startsWith(']Q1'));
  const oursEs = measure((s) => parseScan(s, opts).ok, elementStrings, 1500);
  const baselineEs = measure((s) => naiveParse(s), elementStrings, 1500);
  // The edge agent, which parses every read on the line, and the gateway run protocol/ bundled by esbuild (their
  // scripts/build.js). From sources through tsx, as the tests run it, every imported function is reached through an
  // export getter of tsx's CommonJS output. Both are measured, on the same inputs.
  const bundled = bundledParseScan();
  const oursBundled = measure((s) => bundled(s, opts).ok, elementStrings, 1500);
  const ours = measure((s) => parseScan(s, opts).ok, data, 1500);
  const baseline = measure((s) => naiveParse(s), data, 1500);
  const target = 500_000;
  return [
    {
      name: 'element-string parse, protocol/ bundled as the edge agent and the gateway run it (same inputs as below)',
      metric: 'throughput',
      value: Math.round(oursBundled),
      unit: 'parses/s (one core)',
      baseline: { name: 'naive split(GS) + regex tokenise, no validation, same inputs', value: Math.round(baselineEs) },
      ratio: oursBundled / baselineEs,
      target: `>= ${target.toLocaleString('en')} parses/s`,
      met: oursBundled >= target,
    },
    {
      name: 'element-string parse from sources through tsx, as the tests run it (parseScan, full GS1 validation; ]d2 01+17+10+21 and ]C1 00+02+37+10 with GS)',
      metric: 'throughput',
      value: Math.round(oursEs),
      unit: 'parses/s (one core)',
      baseline: { name: 'naive split(GS) + regex tokenise, no validation, same inputs', value: Math.round(baselineEs) },
      ratio: oursEs / baselineEs,
      target: `>= ${target.toLocaleString('en')} parses/s`,
      met: oursEs >= target,
    },
    {
      name: 'scan parse (parseScan, full GS1 validation; mix of ]d2 01+17+10+21, ]C1 00+02+37+10 with GS, ]Q1 Digital Link)',
      metric: 'throughput',
      value: Math.round(ours),
      unit: 'parses/s (one core)',
      baseline: { name: 'naive split(GS) + regex tokenise / URL split, no validation, same inputs', value: Math.round(baseline) },
      ratio: ours / baseline,
    },
  ];
}

/** protocol/'s parseScan from an esbuild bundle of its sources (as edge-agent/scripts/build.js bundles it). */
function bundledParseScan(): typeof parseScan {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cradle-bench-protocol-'));
  try {
    const outfile = path.join(dir, 'protocol.js');
    buildSync({
      entryPoints: [path.resolve(__dirname, '../../../protocol/src/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      outfile,
      logLevel: 'warning',
    });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require(outfile) as { parseScan: typeof parseScan }).parseScan;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// Prints the table and the results line the runner (bench/src/run.ts) reads.
if (require.main === module) runStandalone(run);
