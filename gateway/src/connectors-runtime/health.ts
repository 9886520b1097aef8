import { sql } from 'kysely';
import client from 'prom-client';
import type { BreakerState } from '@cradle/connectors';
import type { Db } from '../platform/db';

export interface ConnectorHealth {
  connector: string;
  /** open | half-open | closed, per endpoint guard in this process. */
  breaker: BreakerState | null;
  last_success_at: string | null;
  last_attempt_at: string | null;
  last_error: string | null;
  /** Seconds since the last successful sync of any stream: how stale its data may be. */
  staleness_seconds: number | null;
  /** Largest delay, in the last hour, between a record happening at the source and its landing here. */
  lag_seconds: number | null;
  /** Failed attempts / attempts over the last hour. */
  error_rate: number | null;
  attempts_last_hour: number;
}

/** Per-connector health from the attempts every process records (so /readyz is right on every replica). */
export async function connectorHealth(db: Db, connectors: ReadonlyArray<{ id: string; breaker: () => BreakerState | null }>, now = new Date()): Promise<ConnectorHealth[]> {
  if (connectors.length === 0) return [];
  const rows = await sql<{ connector: string; last_success: Date | null; last_attempt: Date | null; attempts: number; failures: number; lag: number | null }>`
    select connector, max(at) filter (where ok) as last_success, max(at) as last_attempt,
           (count(*) filter (where at > ${new Date(now.getTime() - 3_600_000)}))::int as attempts,
           (count(*) filter (where not ok and at > ${new Date(now.getTime() - 3_600_000)}))::int as failures,
           max(lag_seconds) filter (where at > ${new Date(now.getTime() - 3_600_000)}) as lag
    from connector_sync_attempts where connector = any(${connectors.map((c) => c.id)}::text[]) group by connector`.execute(db);
  const errors = await sql<{ connector: string; error: string }>`
    select distinct on (connector) connector, error from connector_sync_attempts
    where connector = any(${connectors.map((c) => c.id)}::text[]) and not ok order by connector, at desc`.execute(db);
  const byId = new Map(rows.rows.map((r) => [r.connector, r]));
  const lastError = new Map(errors.rows.map((r) => [r.connector, r.error]));
  return connectors.map((c) => {
    const r = byId.get(c.id);
    const lastSuccess = r?.last_success ? new Date(r.last_success) : null;
    return {
      connector: c.id,
      breaker: c.breaker(),
      last_success_at: lastSuccess?.toISOString() ?? null,
      last_attempt_at: r?.last_attempt ? new Date(r.last_attempt).toISOString() : null,
      last_error: lastError.get(c.id) ?? null,
      staleness_seconds: lastSuccess ? Math.max(0, Math.round((now.getTime() - lastSuccess.getTime()) / 1000)) : null,
      lag_seconds: r?.lag ?? null,
      error_rate: r && r.attempts > 0 ? r.failures / r.attempts : null,
      attempts_last_hour: r?.attempts ?? 0,
    };
  });
}

/** Prometheus gauges of the same figures, read from the database at scrape time. */
export function registerConnectorMetrics(registry: client.Registry, read: () => Promise<ConnectorHealth[]>): void {
  let cached: { at: number; value: Promise<ConnectorHealth[]> } | null = null;
  // One read per scrape, shared by the gauges (they collect one after another).
  const get = () => {
    if (!cached || Date.now() - cached.at > 1000) cached = { at: Date.now(), value: read().catch(() => []) };
    return cached.value;
  };
  const gauge = (name: string, help: string, pick: (h: ConnectorHealth) => number | null) =>
    new client.Gauge({
      name,
      help,
      labelNames: ['connector'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const h of await get()) {
          const v = pick(h);
          if (v !== null) this.set({ connector: h.connector }, v);
        }
      },
    });
  gauge('cradle_connector_last_success_timestamp_seconds', 'When the connector last synced successfully', (h) => (h.last_success_at ? Date.parse(h.last_success_at) / 1000 : null));
  gauge('cradle_connector_staleness_seconds', 'Seconds since the connector last synced successfully', (h) => h.staleness_seconds);
  gauge('cradle_connector_lag_seconds', 'Largest source-to-ledger delay of a record in the last hour', (h) => h.lag_seconds);
  gauge('cradle_connector_error_ratio', 'Failed sync attempts / attempts in the last hour', (h) => h.error_rate);
  gauge('cradle_connector_breaker_open', '1 while the circuit to the connector’s endpoint is open (this process)', (h) => (h.breaker === null ? null : h.breaker === 'open' ? 1 : 0));
}
