import { sql } from 'kysely';
import { DRIVERS, openTestDatabase } from '../testing/databases';

describe.each(DRIVERS)('data layer on %s', (driver) => {
  it('migrates an empty database and keeps the unique region binding of first-tier dealers', async () => {
    const t = await openTestDatabase(driver);
    try {
      expect(t.driver).toBe(driver);
      await t.db.insertInto('regions').values({ code: '110000', name: '北京市', level: 'province', parent_code: null, province_code: '110000', lat: null, lng: null }).execute();
      const dealer = { kind: 'dealer' as const, tier: 1 as const, name: 'A', region_code: '110000', parent_id: null, gln: null, lat: null, lng: null, chain: null, warehouse_kind: null };
      await t.db.insertInto('parties').values({ ...dealer, code: 'D1' }).execute();
      await expect(t.db.insertInto('parties').values({ ...dealer, code: 'D2' }).execute()).rejects.toThrow(/unique/i);
      const n = await t.db.selectFrom('parties').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      expect(Number(n.n)).toBe(1);
      // Codes refer to parties without a per-row foreign-key check (migration 013): no party can be deleted instead.
      await expect(t.db.deleteFrom('parties').where('code', '=', 'D1').execute()).rejects.toThrow(/parties are never deleted/);
      expect(await t.db.selectFrom('parties').select('code').execute()).toEqual([{ code: 'D1' }]);
    } finally {
      await t.dispose();
    }
  });

  it('keeps every SKU: stock movements and order lines refer to them without a per-row check (migration 014)', async () => {
    const t = await openTestDatabase(driver);
    try {
      await t.db.insertInto('skus').values({ gtin: '06923456000018', name: 'formula', category: 'formula', units_per_case: 6, shelf_life_days: 720, expiry_warning_days: 180 }).execute();
      await expect(t.db.deleteFrom('skus').where('gtin', '=', '06923456000018').execute()).rejects.toThrow(/SKUs are never deleted/);
      expect(await t.db.selectFrom('skus').select('gtin').execute()).toEqual([{ gtin: '06923456000018' }]);
    } finally {
      await t.dispose();
    }
  });

  it('keeps every EPCIS event: their keys refer to them without a per-row check (migration 017)', async () => {
    const t = await openTestDatabase(driver);
    try {
      const e = await sql<{ pk: string }>`
        insert into epcis_events (event_hash, type, action, event_time, doc)
        values ('ni:///sha-256;00?ver=CBV2.0', 'ObjectEvent', 'OBSERVE', now(), '{}'::jsonb) returning pk`.execute(t.db);
      const pk = Number(e.rows[0]!.pk);
      await sql`insert into epcis_event_keys (event_pk, kind, value) values (${pk}, 'epc', 'urn:epc:id:sscc:0614141.1234567890')`.execute(t.db);
      await expect(sql`delete from epcis_events where pk = ${pk}`.execute(t.db)).rejects.toThrow(/EPCIS events are never deleted/);
      const left = await sql<{ n: number }>`select count(*)::int as n from epcis_events e join epcis_event_keys k on k.event_pk = e.pk`.execute(t.db);
      expect(left.rows[0]!.n).toBe(1);
    } finally {
      await t.dispose();
    }
  });

  it('rolls a failed transaction back completely', async () => {
    const t = await openTestDatabase(driver);
    try {
      await expect(
        t.db.transaction().execute(async (trx) => {
          await trx.insertInto('regions').values({ code: '120000', name: '天津市', level: 'province', parent_code: null, province_code: '120000', lat: null, lng: null }).execute();
          await sql`select 1/0`.execute(trx);
        }),
      ).rejects.toThrow(/division by zero/);
      const rows = await t.db.selectFrom('regions').selectAll().execute();
      expect(rows).toHaveLength(0);
    } finally {
      await t.dispose();
    }
  });
});
