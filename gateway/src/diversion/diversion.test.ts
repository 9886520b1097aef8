import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DRIVERS } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { signBody } from './webhooks';

describe.each(DRIVERS)('diversion and clone alerts on %s', (driver) => {
  let gw: TestGateway;
  let hq: string;
  let dealer: string;
  let dealer2: string;
  let dealerParty: string;
  let dealer2Party: string;
  /** A store in 广州 (dealer-demo-2's region) and one in 武汉 (dealer-demo's). */
  let gzStore: string;
  let whStore: string;
  let spare: string;
  const hooks: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  let hookServer: http.Server;
  let hookSecret: string;

  const shippedTo = (dealerId: string, at = '2025-03-01T08:00:00+08:00') => ({ dealer_id: dealerId, order_id: `DO-${dealerId.slice(0, 4)}-1`, shipped_at: at });
  let seq = 0;
  const scan = (over: Record<string, unknown>) => ({
    event_id: `ev-${driver}-${++seq}`,
    code: `06901234567892.S${seq}`,
    gtin: '06901234567892',
    serial: `S${seq}`,
    batch: 'B2025-03',
    biz_step: 'receiving',
    source: 'store',
    event_time: '2025-03-10T10:00:00+08:00',
    ...over,
  });
  const submit = async (...scans: Record<string, unknown>[]) => {
    const r = await gw.call('POST', '/api/v1/diversion/scans', { token: hq, body: { scans } });
    if (r.status !== 200) throw new Error(`${r.status} ${JSON.stringify(r.body)}`);
    return r.body.outcomes as { verdict: string; region_code: string | null; alerts: { id: string; kind: string; status: string; opened: boolean }[] }[];
  };
  const alert = async (id: string) => (await gw.call('GET', `/api/v1/alerts/${id}`, { token: hq })).body;

  beforeAll(async () => {
    hookServer = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((r) => hookServer.listen(0, '127.0.0.1', r));
    gw = await startTestGateway(driver);
    [hq, dealer, dealer2] = await Promise.all([gw.login('hq-admin'), gw.login('dealer-demo'), gw.login('dealer-demo-2')]);
    const me = async (t: string) => (await gw.call('GET', '/api/v1/me', { token: t })).body.party_id as string;
    dealerParty = await me(dealer);
    dealer2Party = await me(dealer2);
    const db = gw.database.db;
    gzStore = (await db.selectFrom('parties').select('id').where('kind', '=', 'store').where('region_code', 'like', '4401%').orderBy('code').executeTakeFirstOrThrow()).id;
    whStore = (await db.selectFrom('parties').select('id').where('kind', '=', 'store').where('region_code', 'like', '4201%').orderBy('code').executeTakeFirstOrThrow()).id;
    spare = (await db.selectFrom('parties').select('id').where('tier', '=', 1).where('id', 'not in', [dealerParty, dealer2Party]).where('region_code', 'like', '3201%').executeTakeFirstOrThrow()).id;
    const hook = await gw.call('POST', '/api/v1/alert-webhooks', { token: hq, body: { url: `http://127.0.0.1:${(hookServer.address() as AddressInfo).port}/alerts`, kinds: ['diversion'] } });
    expect(hook.status).toBe(201);
    hookSecret = hook.body.secret;
  }, 120_000);
  afterAll(async () => {
    await gw?.stop();
    await new Promise((r) => hookServer.close(r));
  });

  it('lets a scan inside the authorised region pass, and judges a scan with no place as unknown, never diverted', async () => {
    const [inside, nowhere] = await submit(
      scan({ scanning_party_id: whStore, shipped_to: shippedTo(dealerParty) }),
      scan({ source: 'consumer', biz_step: 'consumer_scan', shipped_to: shippedTo(dealerParty) }),
    );
    expect(inside).toMatchObject({ verdict: 'inside', alerts: [] });
    expect(nowhere).toMatchObject({ verdict: 'unknown-location', alerts: [] });
  });

  it('raises one alert per source dealer × place × batch, with the dispatch order, the distance and a count', async () => {
    // 2,000 cans found in one 广州 store: five cases of 400 and one duplicate redelivery.
    const cases = Array.from({ length: 5 }, (_, i) => scan({ code: `00369012340000000${i}`, sscc: `00369012340000000${i}`, gtin: undefined, serial: undefined, item_count: 400, scanning_party_id: gzStore, shipped_to: shippedTo(dealerParty) }));
    const outcomes = await submit(...cases, cases[0]!);
    expect(outcomes.slice(0, 5).every((o) => o.verdict === 'diverted')).toBe(true);
    expect(outcomes[5]!.verdict).toBe('duplicate');
    const ids = new Set(outcomes.flatMap((o) => o.alerts.map((a) => a.id)));
    expect(ids.size).toBe(1);
    expect(outcomes[0]!.alerts[0]).toMatchObject({ kind: 'diversion', status: 'open', opened: true });
    const a = await alert([...ids][0]!);
    expect(a).toMatchObject({ kind: 'diversion', source_dealer_id: dealerParty, victim_dealer_id: dealer2Party, batch: 'B2025-03', item_count: 2000, scan_count: 5, dispatch_order_id: `DO-${dealerParty.slice(0, 4)}-1` });
    expect(a.found_region_code).toMatch(/^4401/);
    // 广州 to the edge of 武汉 is several hundred km.
    expect(a.distance_km).toBeGreaterThan(300);
    expect(new Date(a.first_evidence_at).getTime()).toBe(new Date('2025-03-10T10:00:00+08:00').getTime());
  });

  it('needs several consumer scans where one store scan suffices, and forgives coordinates near the border', async () => {
    const gz = { lat: 23.1291, lng: 113.2644 };
    const first = await submit(scan({ source: 'consumer', biz_step: 'consumer_scan', batch: 'B-CONS', ...gz, shipped_to: shippedTo(dealerParty) }));
    expect(first[0]).toMatchObject({ verdict: 'diverted', alerts: [expect.objectContaining({ status: 'watching', opened: false })] });
    // A watched alert is HQ's working set; the dealers do not see it yet.
    expect((await gw.call('GET', `/api/v1/alerts/${first[0]!.alerts[0]!.id}`, { token: dealer })).status).toBe(404);
    const more = await submit(...[1, 2, 3].map(() => scan({ source: 'consumer', biz_step: 'consumer_scan', batch: 'B-CONS', ...gz, shipped_to: shippedTo(dealerParty) })));
    expect(more.map((o) => o.alerts[0]!.status)).toEqual(['watching', 'watching', 'open']);
    // 鄂州 city, just east of 武汉's boundary: within the 15 km tolerance for coordinates.
    const border = await submit(scan({ source: 'consumer', biz_step: 'consumer_scan', lat: 30.42, lng: 114.70, shipped_to: shippedTo(dealerParty) }));
    expect(border[0]!.verdict).toBe('border');
  });

  it('judges by the authorisation valid at the shipment, and lets authorised promotions through quietly', async () => {
    const grant = await gw.call('POST', '/api/v1/authorisations', { token: hq, body: { dealer_id: spare, region_code: '440100', valid_from: '2025-01-01', valid_to: '2025-06-01', shared: true } });
    expect(grant.status).toBe(201);
    const [before, after] = await submit(
      scan({ scanning_party_id: gzStore, batch: 'B-SPARE', shipped_to: shippedTo(spare, '2025-02-01T00:00:00+08:00'), event_time: '2025-07-01T00:00:00+08:00' }),
      scan({ scanning_party_id: gzStore, batch: 'B-SPARE', shipped_to: shippedTo(spare, '2025-06-15T00:00:00+08:00'), event_time: '2025-07-01T00:00:00+08:00' }),
    );
    expect(before!.verdict).toBe('inside');
    expect(after!.verdict).toBe('diverted');
    const quiet = await gw.call('POST', '/api/v1/diversion/quiet-rules', { token: hq, body: { dealer_id: dealerParty, region_code: '440000', batch: 'B-PROMO', valid_from: '2025-03-01', valid_to: '2025-04-01', reason: 'South China roadshow' } });
    expect(quiet.status).toBe(201);
    const [promo] = await submit(scan({ scanning_party_id: gzStore, batch: 'B-PROMO', shipped_to: shippedTo(dealerParty) }));
    expect(promo!.verdict).toBe('quiet');
  });

  it('raises clone alerts for impossible travel and too many scans, and counterfeit alerts for unissued and decommissioned codes', async () => {
    const code = { code: '06901234567892.CLONE1', serial: 'CLONE1', source: 'consumer', biz_step: 'consumer_scan' };
    const [bj, gz] = await submit(
      scan({ ...code, lat: 39.9087, lng: 116.3975, event_time: '2025-03-10T10:00:00+08:00' }),
      scan({ ...code, lat: 23.1291, lng: 113.2644, event_time: '2025-03-10T11:00:00+08:00' }),
    );
    expect(bj!.alerts).toEqual([]);
    expect(gz!.alerts).toEqual([expect.objectContaining({ kind: 'clone-velocity', status: 'open' })]);
    const velocity = await alert(gz!.alerts[0]!.id);
    expect(velocity.scan_count).toBe(1);
    expect(velocity.evidence_sample.map((e: { event_id: string }) => e.event_id)).toHaveLength(2);

    const home = { code: '06901234567892.MANY', serial: 'MANY', source: 'consumer', biz_step: 'consumer_scan', lat: 30.6, lng: 114.3 };
    const many = await submit(...Array.from({ length: 13 }, (_, i) => scan({ ...home, event_time: `2025-03-${String(i + 1).padStart(2, '0')}T10:00:00+08:00` })));
    expect(many.slice(0, 12).every((o) => o.alerts.length === 0)).toBe(true);
    expect(many[12]!.alerts).toEqual([expect.objectContaining({ kind: 'clone-excess-scans', status: 'open' })]);

    const [forged, retired] = await submit(
      scan({ source: 'consumer', biz_step: 'consumer_scan', lat: 30.6, lng: 114.3, code_status: 'never-issued' }),
      scan({ scanning_party_id: whStore, code_status: 'decommissioned' }),
    );
    expect(forged!).toMatchObject({ verdict: 'counterfeit', alerts: [expect.objectContaining({ kind: 'counterfeit-unissued' })] });
    expect(retired!).toMatchObject({ verdict: 'decommissioned', alerts: [expect.objectContaining({ kind: 'decommissioned-scan' })] });
  });

  it('shows a dealer the alerts where it is the source or the victim, and no others', async () => {
    const [other] = await submit(scan({ scanning_party_id: gzStore, batch: 'B-OTHER', shipped_to: shippedTo(spare, '2025-07-01T00:00:00+08:00'), event_time: '2025-08-01T00:00:00+08:00' }));
    const [mine] = await submit(scan({ scanning_party_id: gzStore, batch: 'B-MINE', shipped_to: shippedTo(dealerParty) }));
    const sourceView = await gw.call('GET', '/api/v1/alerts?limit=500', { token: dealer });
    const victimView = await gw.call('GET', '/api/v1/alerts?limit=500', { token: dealer2 });
    const idsOf = (r: { body: { items: { id: string }[] } }) => r.body.items.map((a) => a.id);
    expect(idsOf(sourceView)).toContain(mine!.alerts[0]!.id);
    expect(idsOf(victimView)).toEqual(expect.arrayContaining([mine!.alerts[0]!.id, other!.alerts[0]!.id]));
    expect(idsOf(sourceView)).not.toContain(other!.alerts[0]!.id);
    expect(sourceView.body.items.every((a: { source_dealer_id: string; victim_dealer_id: string }) => a.source_dealer_id === dealerParty || a.victim_dealer_id === dealerParty)).toBe(true);
    expect((await gw.call('GET', `/api/v1/alerts/${other!.alerts[0]!.id}`, { token: dealer })).status).toBe(404);
    expect((await gw.call('GET', `/api/v1/alerts/${other!.alerts[0]!.id}/evidence.csv`, { token: dealer })).status).toBe(404);
    const store = await gw.login('store-demo');
    expect((await gw.call('GET', '/api/v1/alerts', { token: store })).status).toBe(403);
    expect((await gw.call('PATCH', `/api/v1/alerts/${mine!.alerts[0]!.id}`, { token: dealer, body: { status: 'dismissed' } })).status).toBe(403);
  });

  it('works an alert through investigation to confirmation, feeding the compliance record and the webhook', async () => {
    const [o] = await submit(scan({ scanning_party_id: gzStore, batch: 'B-WORK', item_count: 1200, shipped_to: shippedTo(dealerParty) }));
    const id = o!.alerts[0]!.id;
    const skip = await gw.call('PATCH', `/api/v1/alerts/${id}`, { token: hq, body: { status: 'confirmed' } });
    expect(skip.status).toBe(409);
    expect((await gw.call('PATCH', `/api/v1/alerts/${id}`, { token: hq, body: { status: 'investigating', assignee: 'li.wei', note: 'called the store' } })).status).toBe(200);
    const done = await gw.call('PATCH', `/api/v1/alerts/${id}`, { token: hq, body: { status: 'confirmed', note: 'invoice shows resale by the 武汉 dealer' } });
    expect(done.body).toMatchObject({ status: 'confirmed', assignee: 'li.wei' });
    const detail = await alert(id);
    expect(detail.notes.map((n: { to_status: string | null }) => n.to_status)).toEqual(['investigating', 'confirmed']);
    const record = await gw.call('GET', `/api/v1/compliance/${dealerParty}`, { token: dealer });
    expect(record.body.records).toEqual([expect.objectContaining({ alert_id: id, item_count: 1200, points: 15 })]);
    expect(record.body.score).toBe(85);
    expect((await gw.call('GET', `/api/v1/compliance/${dealerParty}`, { token: dealer2 })).status).toBe(404);

    for (let i = 0; i < 100 && !hooks.some((h) => h.body.includes(id) && h.headers['x-cradle-event'] === 'status-confirmed'); i++) await new Promise((r) => setTimeout(r, 50));
    const opened = hooks.find((h) => h.body.includes(id) && h.headers['x-cradle-event'] === 'opened');
    const confirmed = hooks.find((h) => h.body.includes(id) && h.headers['x-cradle-event'] === 'status-confirmed');
    expect(opened).toBeDefined();
    expect(confirmed!.headers['x-cradle-signature']).toBe(signBody(hookSecret, confirmed!.body));
    expect(JSON.parse(confirmed!.body).alert).toMatchObject({ id, status: 'confirmed' });
  });

  it('exports the evidence as CSV and as an EPCIS 2.0 document', async () => {
    const [o] = await submit(scan({ scanning_party_id: gzStore, batch: 'B-EXPORT', code: '06901234567892.EXP=1', serial: 'EXP1', shipped_to: shippedTo(dealerParty) }));
    const id = o!.alerts[0]!.id;
    const csv = await gw.call('GET', `/api/v1/alerts/${id}/evidence.csv`, { token: dealer });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    const lines = (csv.body as string).trim().split('\r\n');
    expect(lines[0]).toMatch(/^event_id,event_time,biz_step/);
    expect(lines).toHaveLength(2);
    expect(lines[1]).toContain('06901234567892.EXP=1');
    const epcis = await gw.call('GET', `/api/v1/alerts/${id}/evidence.epcis`, { token: hq });
    expect(epcis.body).toMatchObject({ type: 'EPCISDocument', schemaVersion: '2.0' });
    expect(epcis.body.epcisBody.eventList[0]).toMatchObject({ type: 'ObjectEvent', action: 'OBSERVE', bizStep: 'receiving', epcList: ['urn:epc:id:sgtin:6901234.056789.EXP1'] });
  });

  it('refuses bad scans with a 400 naming the field, and stores nothing', async () => {
    const count = async () => Number((await gw.database.db.selectFrom('diversion_evidence').select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const r = await gw.call('POST', '/api/v1/diversion/scans', {
      token: hq,
      body: { scans: [scan({ scanning_party_id: gzStore, shipped_to: shippedTo(dealerParty) }), scan({ source: 'consumer', lat: 91, lng: 200 })] },
    });
    expect(r.status).toBe(400);
    expect(r.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['body.scans.1.lat', 'body.scans.1.lng']);
    const rules = await gw.call('PUT', '/api/v1/diversion/rules', { token: hq, body: { border_tolerance_km: -1 } });
    expect(rules.status).toBe(400);
    expect(rules.body.errors[0].field).toBe('body.border_tolerance_km');
    expect(await count()).toBe(before);
  });
});
