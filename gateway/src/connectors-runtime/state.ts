import { sql } from 'kysely';
import type { RejectedRecord } from '@cradle/connectors';
import type { Db } from '../platform/db';

/** Sync positions, per-record dead letters and sync attempts: the runtime state every connector keeps. */
export function createConnectorState(db: Db) {
  return {
    async cursor(connector: string, stream: string): Promise<string | null> {
      const r = await db.selectFrom('connector_cursors').select('position').where('connector', '=', connector).where('stream', '=', stream).executeTakeFirst();
      return r?.position ?? null;
    },
    /** Moves a cursor forward only: a late, slower run can never move it back. */
    async advance(connector: string, stream: string, position: number): Promise<void> {
      await sql`
        insert into connector_cursors (connector, stream, position, updated_at) values (${connector}, ${stream}, ${String(position)}, now())
        on conflict (connector, stream) do update set position = excluded.position, updated_at = now()
        where connector_cursors.position::bigint < excluded.position::bigint`.execute(db);
    },
    /** Keeps records that could not be applied for an operator; the same record again updates its entry. */
    async deadLetter(connector: string, stream: string, rejected: ReadonlyArray<Pick<RejectedRecord, 'key' | 'raw' | 'message' | 'path'>>): Promise<void> {
      for (const r of rejected) {
        await db
          .insertInto('connector_dead_letters')
          .values({ connector, stream, record_key: r.key.slice(0, 300), record: JSON.stringify(r.raw ?? null), error: r.message, field_path: r.path || null })
          .onConflict((oc) =>
            oc.columns(['connector', 'stream', 'record_key']).doUpdateSet({ record: JSON.stringify(r.raw ?? null), error: r.message, field_path: r.path || null, received_at: new Date(), status: 'open', resolved_at: null, resolved_by: null }),
          )
          .execute();
      }
    },
    async attempt(a: { connector: string; stream: string; ok: boolean; items?: number; lagSeconds?: number | null; error?: string | null }): Promise<void> {
      await db
        .insertInto('connector_sync_attempts')
        .values({ connector: a.connector, stream: a.stream, ok: a.ok, items: a.items ?? 0, lag_seconds: a.lagSeconds ?? null, error: a.error?.slice(0, 1000) ?? null })
        .execute();
    },
    async prune(olderThanHours = 48): Promise<number> {
      const r = await db.deleteFrom('connector_sync_attempts').where('at', '<', new Date(Date.now() - olderThanHours * 3_600_000)).executeTakeFirst();
      return Number(r.numDeletedRows);
    },
  };
}

export type ConnectorState = ReturnType<typeof createConnectorState>;
