/**
 * Set-up shared by the trace benchmarks: a gateway child process on PostgreSQL (optionally on an external broker),
 * a bulk load of issued codes with generate_series, and an authenticated HTTP helper.
 */
import crypto from 'node:crypto';
import pg from 'pg';
import { login, type RunningGateway, startGateway } from '../harness/gateway';

export interface TraceGateway extends RunningGateway {
  token: string;
  pool: pg.Pool;
  call(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
}

export async function startTraceGateway(databaseUrl: string, schema: string, env: Record<string, string> = {}): Promise<TraceGateway> {
  const server = await startGateway({
    databaseUrl,
    databaseSchema: schema,
    // BENCH_TRACE_CPU_PROF=<dir>: the gateway writes a V8 CPU profile there when it stops (node --cpu-prof).
    // BENCH_GATEWAY_NODE_ARGS: further Node flags for the gateway (e.g. `--max-semi-space-size=32`), for experiments.
    nodeArgs: [
      ...(process.env.BENCH_TRACE_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_TRACE_CPU_PROF}`] : []),
      ...(process.env.BENCH_GATEWAY_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
    ],
    env: { DATABASE_POOL_SIZE: '16', ...env },
    readyTimeoutMs: 180_000,
  });
  const token = await login(server.url);
  const pool = new pg.Pool({ connectionString: databaseUrl, options: `-c search_path=${schema}`, max: 2 });
  return {
    ...server,
    token,
    pool,
    async call(method, p, body) {
      const res = await fetch(new URL(p, server.url), { method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        /* keep text */
      }
      return { status: res.status, body: parsed };
    },
    async stop() {
      await pool.end();
      await server.stop();
    },
  };
}

/**
 * Bulk-loads `n` issued codes of one GTIN and batch with generate_series (serials: 11 base-62-like characters from
 * md5, unique by construction through the row number), in one statement. Returns the request id they belong to.
 */
export async function bulkLoadCodes(pool: pg.Pool, gtin: string, batch: string, n: number, state: 'issued' | 'commissioned'): Promise<string> {
  const req = await pool.query<{ id: string }>(
    `insert into code_requests (idempotency_key, kind, gtin, batch_code, quantity, requested_by) values ($1, 'item', $2, $3, $4, 'bench') returning id`,
    [`bench-${crypto.randomBytes(6).toString('hex')}`, gtin, batch, n],
  );
  const id = req.rows[0]!.id;
  const cp = gtin.slice(1, 8);
  const ref = `${gtin[0]}${gtin.slice(8, 13)}`;
  await pool.query(
    `insert into codes (epc, kind, gtin, serial, batch_code, request_id, state, commissioned_at)
     select 'urn:epc:id:sgtin:' || $1 || '.' || $2 || '.' || s.serial, 'item', $3, s.serial, $4, $5::uuid, $6, case when $6 = 'commissioned' then now() end
     from (select 'B' || lpad(to_hex(g), 7, '0') || substr(md5(g::text || $5), 1, 3) as serial from generate_series(1, $7::int) g) s`,
    [cp, ref, gtin, batch, id, state, n],
  );
  await pool.query('analyze codes');
  return id;
}
