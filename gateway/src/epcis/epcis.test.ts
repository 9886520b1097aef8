import { buildAggregationEvent, buildEpcisDocument, buildObjectEvent, type EpcisEvent } from '@cradle/protocol';
import { issueCodes } from '../codes/issue';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { bindDispatchOrder } from '../trace/dispatch';
import { dispatchTransactionUri, sglnOf } from '../trace/epc';
import type { Principal } from '../platform/http/route';
import { checkGs1Schema } from './gs1-schema';
import { eventQueries } from './query';

const ok = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

describe.each(['pglite', 'postgres'] as const)('EPCIS 2.0 interface on %s', (driver) => {
  let gw: TestGateway;
  let hq: string;
  let cans: string[];
  let caseEpc: string;
  let factorySgln: string;
  let doc: Record<string, unknown>;
  let gtin: string;
  let dealerId: string;
  const order = `ORD-E${Math.random().toString(36).slice(2, 8).toUpperCase()}`;

  beforeAll(async () => {
    gw = await startTestGateway(driver);
    hq = await gw.login('hq-admin');
    const db = gw.database.db;
    gtin = (await db.selectFrom('skus').select('gtin').where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow()).gtin;
    const items = await issueCodes(db, { idempotencyKey: `e-${order}`, kind: 'item', gtin, batchCode: 'B77', quantity: 2, requestedBy: 'test' });
    const cases = await issueCodes(db, { idempotencyKey: `c-${order}`, kind: 'case', gtin, quantity: 1, requestedBy: 'test' });
    cans = (await db.selectFrom('codes').select('epc').where('request_id', '=', items.request.id).orderBy('epc').execute()).map((c) => c.epc);
    caseEpc = (await db.selectFrom('codes').select('epc').where('request_id', '=', cases.request.id).executeTakeFirstOrThrow()).epc;
    const factory = await db.selectFrom('parties').select(['gln']).where('code', '=', 'F-01').executeTakeFirstOrThrow();
    factorySgln = sglnOf(factory.gln)!;
    const dealerUser = await db.selectFrom('users').select('party_id').where('username', '=', 'dealer-demo').executeTakeFirstOrThrow();
    dealerId = dealerUser.party_id!;
    await bindDispatchOrder(db, { orderId: order, destinationId: dealerId, by: 'test' });
    const where = { readPoint: factorySgln, bizLocation: factorySgln, eventTimeZoneOffset: '+08:00' };
    const events: EpcisEvent[] = [
      ok(buildObjectEvent({ ...where, eventTime: '2025-03-01T08:00:00.000Z', action: 'ADD', epcs: cans, bizStep: 'commissioning', disposition: 'active', ilmd: { 'cbvmda:lotNumber': 'B77' } })),
      ok(buildAggregationEvent({ ...where, eventTime: '2025-03-01T08:05:00.000Z', action: 'ADD', parentId: caseEpc, childEpcs: cans, bizStep: 'packing', disposition: 'in_progress' })),
      ok(buildObjectEvent({ ...where, eventTime: '2025-03-02T09:00:00.000Z', action: 'OBSERVE', epcs: [caseEpc], bizStep: 'shipping', disposition: 'in_transit', bizTransactions: [{ type: 'desadv', id: dispatchTransactionUri(order) }] })),
    ];
    doc = ok(buildEpcisDocument(events, { creationDate: '2025-03-02T10:00:00.000Z', namespaces: { cbvmda: 'urn:epcglobal:cbv:mda:' } })) as Record<string, unknown>;
  }, 60_000);
  afterAll(async () => gw?.stop());

  async function captureAndWait(body: unknown) {
    const r = await gw.call('POST', '/epcis/capture', { token: hq, body, headers: { 'content-type': 'application/ld+json' } });
    expect(r.status).toBe(202);
    expect(r.headers.get('location')).toBe(`/epcis/capture/${r.body.captureID}`);
    for (;;) {
      const job = await gw.call('GET', `/epcis/capture/${r.body.captureID}`, { token: hq });
      if (!job.body.running) return job.body;
      await new Promise((res) => setTimeout(res, 25));
    }
  }

  it('captures a document asynchronously and applies it to the codes; the same document again stores nothing', async () => {
    const job = await captureAndWait(doc);
    expect(job).toMatchObject({ success: true, captured: 3, duplicates: 0 });
    const codes = await gw.database.db.selectFrom('codes').select(['epc', 'state', 'parent_epc', 'order_id', 'shipped_to']).where('epc', 'in', [...cans, caseEpc]).execute();
    for (const c of codes) expect(c).toMatchObject({ state: 'shipped', order_id: order });
    expect(codes.filter((c) => c.parent_epc === caseEpc)).toHaveLength(2);
    const again = await captureAndWait(doc);
    expect(again).toMatchObject({ success: true, captured: 0, duplicates: 3 });
  });

  it('answers the standard query parameters with a schema-valid EPCISQueryDocument', async () => {
    const q = async (params: Record<string, string>, token = hq) => {
      const r = await gw.call('GET', `/epcis/events?${new URLSearchParams(params)}`, { token });
      expect(r.status).toBe(200);
      expect(checkGs1Schema(r.body)).toEqual([]);
      return r.body.epcisBody.queryResults.resultsBody.eventList as Record<string, unknown>[];
    };
    expect((await q({ MATCH_anyEPC: cans[0]! })).map((e) => e.bizStep)).toEqual(['commissioning', 'packing']);
    expect((await q({ MATCH_epc: caseEpc })).map((e) => e.bizStep)).toEqual(['shipping']);
    expect((await q({ MATCH_parentID: caseEpc })).map((e) => e.type)).toEqual(['AggregationEvent']);
    expect(await q({ EQ_bizStep: 'shipping|packing' })).toHaveLength(2);
    expect(await q({ EQ_disposition: 'in_transit' })).toHaveLength(1);
    expect(await q({ GE_eventTime: '2025-03-01T08:01:00.000Z', LT_eventTime: '2025-03-02T00:00:00.000Z' })).toHaveLength(1);
    expect(await q({ EQ_bizLocation: factorySgln, MATCH_anyEPC: `${cans[1]}|${caseEpc}` })).toHaveLength(3);
    expect(await q({ WD_bizLocation: factorySgln, EQ_bizStep: 'commissioning' })).toHaveLength(1);
    expect(await q({ [`EQ_bizTransaction_desadv`]: dispatchTransactionUri(order) })).toHaveLength(1);
    const pattern = cans[0]!.replace('urn:epc:id:', 'urn:epc:idpat:').replace(/\.[^.]+$/, '.*');
    expect((await q({ MATCH_epc: pattern })).length).toBeGreaterThanOrEqual(1);

    // Paging: one event per page, following the Link header to the end.
    const seen: string[] = [];
    let url: string | null = `/epcis/events?${new URLSearchParams({ MATCH_anyEPC: `${cans[0]}|${caseEpc}`, perPage: '1' })}`;
    while (url) {
      const r: { status: number; headers: Headers; body: any } = await gw.call('GET', url, { token: hq });
      seen.push(...r.body.epcisBody.queryResults.resultsBody.eventList.map((e: { eventID: string }) => e.eventID));
      url = /<([^>]+)>; rel="next"/.exec(r.headers.get('link') ?? '')?.[1] ?? null;
    }
    expect(seen).toHaveLength(3);
    expect(new Set(seen).size).toBe(3);

    // Dealers see goods shipped to them only.
    const dealer = await gw.login('dealer-demo');
    const other = await gw.login('dealer-demo-2');
    expect(await q({ MATCH_anyEPC: cans[0]! }, dealer)).toHaveLength(2);
    expect(await q({ MATCH_anyEPC: cans[0]! }, other)).toHaveLength(0);
  });

  it('answers exact-key queries asked in the same tick (one statement) as each alone, and as the general query does', async () => {
    const query = eventQueries(gw.database.db);
    const principal: Principal = { kind: 'user', id: 'hq', name: 'hq', role: 'hq', partyId: null, scopes: new Set(['trace:read']) };
    const second = await query({ MATCH_anyEPC: `${cans[0]}|${caseEpc}`, perPage: '1' }, principal, null);
    expect(second.nextPageToken).not.toBeNull();
    const shapes: Record<string, string>[] = [
      { MATCH_anyEPC: cans[0]! },
      { MATCH_epc: caseEpc },
      { MATCH_parentID: caseEpc },
      { MATCH_epc: cans[1]! },
      { MATCH_anyEPC: `${cans[0]}|${caseEpc}|${cans[1]}`, perPage: '2' },
      { MATCH_anyEPC: `${cans[0]}|${caseEpc}`, perPage: '1', nextPageToken: second.nextPageToken! },
      { MATCH_anyEPC: `${cans[1]}|${cans[1]}` },
      { MATCH_anyEPC: 'urn:epc:id:sgtin:6923456.000001.NOSUCHCAN' },
      { MATCH_inputEPC: cans[0]! },
    ];
    const together = await Promise.all(shapes.map((p) => query(p, principal, null)));
    for (const [i, p] of shapes.entries()) {
      const alone = await query(p, principal, null);
      // Any other parameter takes the general path (epcis/query.ts builds the statement); every event type is asked for.
      const general = await query({ ...p, eventType: 'ObjectEvent|AggregationEvent|TransactionEvent|TransformationEvent|AssociationEvent' }, principal, null);
      expect(together[i]).toEqual(alone);
      expect(general).toEqual(alone);
      for (const e of alone.events) expect(JSON.parse(e)).toMatchObject({ eventID: expect.any(String), recordTime: expect.any(String) });
    }
    expect(together.map((p) => p.events.length)).toEqual([2, 1, 1, 2, 2, 1, 2, 0, 0]);
    expect(together.map((p) => p.nextPageToken !== null)).toEqual([false, false, false, false, true, true, false, false, false]);
  });

  it('refuses unknown query parameters and bad times, naming them', async () => {
    const r = await gw.call('GET', '/epcis/events?MATCH_everything=1', { token: hq });
    expect(r.status).toBe(400);
    expect(r.body.errors[0].field).toBe('query.MATCH_everything');
    const t = await gw.call('GET', '/epcis/events?GE_eventTime=yesterday', { token: hq });
    expect(t.body.errors[0].field).toBe('query.GE_eventTime');
  });

  it('captures one event with POST /epcis/events, and answers 409 for the same event however its keys are ordered', async () => {
    const event = ok(buildObjectEvent({ eventTime: '2025-03-03T08:00:00.000Z', eventTimeZoneOffset: '+08:00', action: 'OBSERVE', epcs: [cans[0]!], bizStep: 'inspecting', bizLocation: factorySgln }));
    const first = await gw.call('POST', '/epcis/events', { token: hq, body: event });
    expect(first.status).toBe(201);
    expect(first.body.eventHash).toMatch(/^ni:\/\/\/sha-256;/);
    const reordered = Object.fromEntries(Object.entries(event).reverse());
    const again = await gw.call('POST', '/epcis/events', { token: hq, body: reordered });
    expect(again.status).toBe(409);
    expect(again.body.eventHash).toBe(first.body.eventHash);
    const one = await gw.call('GET', `/epcis/events/${encodeURIComponent(first.body.eventID)}`, { token: hq });
    expect(one.status).toBe(200);
    expect(one.body.bizStep).toBe('inspecting');
    // The hash is that event's eventID (stored once, as the hash): another event may not take it as its own eventID.
    const other = ok(buildObjectEvent({ eventTime: '2025-03-03T09:00:00.000Z', eventTimeZoneOffset: '+08:00', action: 'OBSERVE', epcs: [cans[1]!], bizStep: 'inspecting', bizLocation: factorySgln }));
    const taken = await gw.call('POST', '/epcis/events', { token: hq, body: { ...other, eventID: first.body.eventID } });
    expect(taken.status).toBe(409);
    expect(taken.body.eventID).toBe(first.body.eventID);
    const still = await gw.call('GET', `/epcis/events?EQ_eventID=${encodeURIComponent(first.body.eventID)}`, { token: hq });
    expect(still.body.epcisBody.queryResults.resultsBody.eventList.map((e: { epcList: string[] }) => e.epcList)).toEqual([[cans[0]]]);
    // An eventID of its own is kept as given and found by it.
    const own = await gw.call('POST', '/epcis/events', { token: hq, body: { ...other, eventID: 'urn:uuid:1f0b6a3e-8c1d-4c55-9a51-7d0c2a1b9e01' } });
    expect(own.status).toBe(201);
    const found = await gw.call('GET', `/epcis/events/${encodeURIComponent('urn:uuid:1f0b6a3e-8c1d-4c55-9a51-7d0c2a1b9e01')}`, { token: hq });
    expect(found.status).toBe(200);
    expect(found.body.epcList).toEqual([cans[1]]);
  });

  it('refuses schema-invalid EPCIS with the failing path and oversized documents with 413; nothing changes', async () => {
    const count = async () => Number((await gw.database.db.selectFrom('epcis_events').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const bad = structuredClone(doc) as { epcisBody: { eventList: Record<string, unknown>[] } };
    bad.epcisBody.eventList[1]!.eventTime = 'yesterday';
    const r = await gw.call('POST', '/epcis/capture', { token: hq, body: bad });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { field: string }) => e.field)).toContain('body.epcisBody.eventList.1.eventTime');
    const single = await gw.call('POST', '/epcis/events', { token: hq, body: { type: 'ObjectEvent', eventTime: '2025-03-03T08:00:00.000Z', eventTimeZoneOffset: '+08:00', epcList: [] } });
    expect(single.status).toBe(400);
    expect(single.body.detail).toMatch(/action/);
    const big = structuredClone(doc) as { epcisBody: { eventList: unknown[] } };
    big.epcisBody.eventList = Array.from({ length: 10_001 }, () => ({ type: 'ObjectEvent' }));
    const tooBig = await gw.call('POST', '/epcis/capture', { token: hq, body: big });
    expect(tooBig.status).toBe(413);
    expect(await count()).toBe(before);
    const dealer = await gw.login('dealer-demo');
    expect((await gw.call('POST', '/epcis/capture', { token: dealer, body: doc })).status).toBe(403);
  });

  it('applies a pack that arrives after its case was shipped: the can goes where the case went', async () => {
    const db = gw.database.db;
    const items = await issueCodes(db, { idempotencyKey: `late-${order}`, kind: 'item', gtin, batchCode: 'B78', quantity: 1, requestedBy: 'test' });
    const cases = await issueCodes(db, { idempotencyKey: `late-case-${order}`, kind: 'case', gtin, quantity: 1, requestedBy: 'test' });
    const can = (await db.selectFrom('codes').select('epc').where('request_id', '=', items.request.id).executeTakeFirstOrThrow()).epc;
    const box = (await db.selectFrom('codes').select('epc').where('request_id', '=', cases.request.id).executeTakeFirstOrThrow()).epc;
    const where = { readPoint: factorySgln, bizLocation: factorySgln, eventTimeZoneOffset: '+08:00' };
    // In the order they arrive: the pack (08:05) comes after the case's shipping (09:00) was applied.
    const arriving = [
      ok(buildObjectEvent({ ...where, eventTime: '2025-04-01T08:00:00.000Z', action: 'ADD', epcs: [can, box], bizStep: 'commissioning', disposition: 'active' })),
      ok(buildObjectEvent({ ...where, eventTime: '2025-04-01T09:00:00.000Z', action: 'OBSERVE', epcs: [box], bizStep: 'shipping', disposition: 'in_transit', bizTransactions: [{ type: 'desadv', id: dispatchTransactionUri(order) }] })),
      ok(buildAggregationEvent({ ...where, eventTime: '2025-04-01T08:05:00.000Z', action: 'ADD', parentId: box, childEpcs: [can], bizStep: 'packing', disposition: 'in_progress' })),
    ];
    for (const event of arriving) expect((await gw.call('POST', '/epcis/events', { token: hq, body: event })).status).toBe(201);
    const rows = await db.selectFrom('codes').select(['epc', 'state', 'parent_epc', 'order_id', 'shipped_to']).where('epc', 'in', [can, box]).execute();
    expect(rows.find((r) => r.epc === box)).toMatchObject({ state: 'shipped', order_id: order, shipped_to: dealerId });
    expect(rows.find((r) => r.epc === can)).toMatchObject({ state: 'shipped', parent_epc: box, order_id: order, shipped_to: dealerId });
    expect(await db.selectFrom('anomalies').select('kind').where('epc', 'in', [can, box]).execute()).toEqual([]);
  });

});
