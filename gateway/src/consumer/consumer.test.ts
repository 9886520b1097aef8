import { buildEpcisDocument, buildObjectEvent, type EpcisEvent } from '@cradle/protocol';
import { startTestGateway, type TestGateway } from '../testing/gateway';
import { bindDispatchOrder } from '../trace/dispatch';
import { dispatchTransactionUri, sglnOf } from '../trace/epc';

const PDF = Buffer.from('%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n');
const ok = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T => {
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return r.value;
};

describe('codes, batches and the consumer trace page (PGlite)', () => {
  let gw: TestGateway;
  let hq: string;
  let gtin: string;
  let skuName: string;
  let requestId: string;
  let serials: string[];
  let batchId: string;
  let dealerName: string;
  const batch = 'L25030101';

  beforeAll(async () => {
    gw = await startTestGateway('pglite');
    hq = await gw.login('hq-admin');
    const sku = await gw.database.db.selectFrom('skus').select(['gtin', 'name']).where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow();
    gtin = sku.gtin;
    skuName = sku.name;
  }, 60_000);
  afterAll(async () => gw?.stop());

  it('issues unguessable codes once per idempotency key, audited, and renders print files', async () => {
    const body = { idempotencyKey: 'line-F01-L1-0001', kind: 'item', gtin, batch, quantity: 5 };
    const first = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body });
    expect(first.status).toBe(201);
    requestId = first.body.id;
    const retry = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body });
    expect(retry.status).toBe(200);
    expect(retry.body.id).toBe(requestId);
    const clash = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body: { ...body, quantity: 6 } });
    expect(clash.status).toBe(409);
    const zero = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body: { ...body, idempotencyKey: 'line-F01-L1-0002', quantity: 0 } });
    expect(zero.status).toBe(400);
    expect(zero.body.errors[0].field).toBe('body.quantity');
    const unknown = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body: { ...body, idempotencyKey: 'line-F01-L1-0003', gtin: '00000000000000' } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.errors[0].field).toBe('body.gtin');

    const list = await gw.call('GET', `/api/v1/codes/requests/${requestId}/codes`, { token: hq });
    expect(list.body.items).toHaveLength(5);
    serials = list.body.items.map((c: { serial: string }) => c.serial);
    expect(new Set(serials).size).toBe(5);
    for (const s of serials) expect(s).toMatch(/^[0-9A-Za-z]{11}$/); // 62^11 > 2^64
    expect(list.body.items[0].digital_link).toMatch(new RegExp(`/01/${gtin}/10/${batch}/21/[0-9A-Za-z]{11}$`));
    const csv = await gw.call('GET', `/api/v1/codes/requests/${requestId}/codes?format=csv`, { token: hq });
    expect(csv.headers.get('content-type')).toMatch(/text\/csv/);
    expect(String(csv.body).trim().split('\r\n')).toHaveLength(6);
    const svg = await gw.call('GET', `/api/v1/codes/requests/${requestId}/labels.svg?symbol=datamatrix`, { token: hq });
    expect(svg.status).toBe(200);
    expect(String(svg.body)).toContain(`(01)${gtin}(10)${batch}(21)${serials[0]}`);
    const png = await fetch(`${gw.url}/api/v1/codes/requests/${requestId}/labels.png?symbol=qr`, { headers: { authorization: `Bearer ${hq}` } });
    expect(png.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await png.arrayBuffer()).subarray(1, 4).toString()).toBe('PNG');
    const cases = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body: { idempotencyKey: 'cases-F01-0001', kind: 'case', gtin, quantity: 2 } });
    expect(cases.status).toBe(201);
    const caseList = await gw.call('GET', `/api/v1/codes/requests/${cases.body.id}/codes`, { token: hq });
    expect(caseList.body.items.map((c: { sscc: string }) => c.sscc)).toEqual([expect.stringMatching(/^\d{18}$/), expect.stringMatching(/^\d{18}$/)]);
    const audit = await gw.database.db.selectFrom('audit_log').select('detail').where('action', '=', 'codes.issue').execute();
    expect(audit.length).toBe(2);
    const dealer = await gw.login('dealer-demo');
    expect((await gw.call('POST', '/api/v1/codes/requests', { token: dealer, body: { ...body, idempotencyKey: 'dealer-try-0001' } })).status).toBe(403);
  });

  it('keeps a batch with its farm inputs, QC report and steriliser readings; out-of-limits sterilisation blocks release without an override', async () => {
    const db = gw.database.db;
    const factory = await db.selectFrom('parties').select(['id']).where('code', '=', 'F-01').executeTakeFirstOrThrow();
    const farm = await db.selectFrom('parties').select(['id']).where('code', '=', 'FARM-01').executeTakeFirstOrThrow();
    const created = await gw.call('POST', '/api/v1/batches', { token: hq, body: { gtin, code: batch, factoryId: factory.id, line: 'L1', productionDate: '2025-03-01' } });
    expect(created.status).toBe(201);
    batchId = created.body.id;
    expect(created.body.expiry_date > '2025-03-01').toBe(true);
    const input = await gw.call('POST', `/api/v1/batches/${batchId}/inputs`, { token: hq, body: { farmId: farm.id, lot: 'RM-0301-A', material: '生牛乳 raw milk', quantity: 12000, unit: 'kg', milkedAt: '2025-02-28T04:30:00+08:00' } });
    expect(input.status).toBe(201);
    expect(input.body.data.feed).toMatchObject({ alfalfa_pct: 60 });
    const notPdf = await gw.call('POST', `/api/v1/batches/${batchId}/qc-reports`, { token: hq, body: { result: 'pass', fileName: 'qc.pdf', contentType: 'application/pdf', contentBase64: Buffer.from('hello world').toString('base64') } });
    expect(notPdf.status).toBe(400);
    expect(notPdf.body.errors[0].field).toBe('body.contentBase64');
    const qc = await gw.call('POST', `/api/v1/batches/${batchId}/qc-reports`, { token: hq, body: { result: 'pass', summary: 'GB 10765 全项合格', fileName: 'qc.pdf', contentType: 'application/pdf', contentBase64: PDF.toString('base64') } });
    expect(qc.status).toBe(201);
    // Steriliser readings as the edge agent publishes them, one out of limits.
    await db.insertInto('batch_readings').values([
      { source_id: '01950000-0000-7000-8000-000000000001', site_id: factory.id, device_code: 'F-01-PLC1', batch_code: batch, name: 'sterilisation_temperature', value: 137.2, unit: 'Cel', quality: 'good', out_of_limits: false, limits: JSON.stringify({ min: 135, max: 140 }), at: new Date() },
      { source_id: '01950000-0000-7000-8000-000000000002', site_id: factory.id, device_code: 'F-01-PLC1', batch_code: batch, name: 'sterilisation_temperature', value: 131.0, unit: 'Cel', quality: 'good', out_of_limits: true, limits: JSON.stringify({ min: 135, max: 140 }), at: new Date() },
    ]).execute();
    const view = await gw.call('GET', `/api/v1/batches/${batchId}`, { token: hq });
    expect(view.body.flags).toEqual({ sterilisationOutOfLimits: true, releaseNeedsOverride: true });
    expect(view.body.sterilisation.series[0]).toMatchObject({ name: 'sterilisation_temperature', min: 131, max: 137.2, outOfLimits: 1 });
    const blocked = await gw.call('POST', `/api/v1/batches/${batchId}/release`, { token: hq, body: {} });
    expect(blocked.status).toBe(409);
    expect(blocked.body.detail).toMatch(/override/);
    expect((await db.selectFrom('batches').select('status').where('id', '=', batchId).executeTakeFirstOrThrow()).status).toBe('open');
    const released = await gw.call('POST', `/api/v1/batches/${batchId}/release`, { token: hq, body: { overrideReason: '复检合格：二次杀菌记录齐全 (QC-0301)' } });
    expect(released.status).toBe(200);
    expect(released.body).toMatchObject({ status: 'released', release_override: { reason: '复检合格：二次杀菌记录齐全 (QC-0301)', by: 'hq-admin' } });
  });

  it('answers the QR link with the whole chain, in Chinese or English, as HTML or JSON, and counts each query', async () => {
    const db = gw.database.db;
    const [factory, wh, dealerUser] = await Promise.all([
      db.selectFrom('parties').select(['gln']).where('code', '=', 'F-01').executeTakeFirstOrThrow(),
      db.selectFrom('parties').select(['gln']).where('code', '=', 'WH-C01').executeTakeFirstOrThrow(),
      db.selectFrom('users').innerJoin('parties', 'parties.id', 'users.party_id').select(['parties.id', 'parties.name', 'parties.gln']).where('username', '=', 'dealer-demo').executeTakeFirstOrThrow(),
    ]);
    dealerName = dealerUser.name;
    await bindDispatchOrder(db, { orderId: 'ORD-C1', destinationId: dealerUser.id, by: 'test' });
    const epc = (s: string) => `urn:epc:id:sgtin:${gtin.slice(1, 8)}.${gtin[0]}${gtin.slice(8, 13)}.${s}`;
    const f = sglnOf(factory.gln)!;
    const w = sglnOf(wh.gln)!;
    const d = sglnOf(dealerUser.gln)!;
    const events: EpcisEvent[] = [
      ok(buildObjectEvent({ eventTime: '2025-03-01T08:00:00.000Z', eventTimeZoneOffset: '+08:00', action: 'ADD', epcs: serials.map(epc), bizStep: 'commissioning', bizLocation: f, readPoint: f })),
      ok(buildObjectEvent({ eventTime: '2025-03-05T08:00:00.000Z', eventTimeZoneOffset: '+08:00', action: 'OBSERVE', epcs: [epc(serials[0]!)], bizStep: 'shipping', bizLocation: w, bizTransactions: [{ type: 'desadv', id: dispatchTransactionUri('ORD-C1') }] })),
      ok(buildObjectEvent({ eventTime: '2025-03-07T08:00:00.000Z', eventTimeZoneOffset: '+08:00', action: 'OBSERVE', epcs: [epc(serials[0]!)], bizStep: 'receiving', bizLocation: d })),
    ];
    const cap = await gw.call('POST', '/epcis/capture', { token: hq, body: ok(buildEpcisDocument(events, { creationDate: new Date() })) });
    expect(cap.status).toBe(202);
    while ((await gw.call('GET', `/epcis/capture/${cap.body.captureID}`, { token: hq })).body.running) await new Promise((r) => setTimeout(r, 20));

    const link = `/01/${gtin}/10/${batch}/21/${serials[0]}`;
    const page = await gw.call('GET', link, { headers: { 'accept-language': 'zh-CN,zh;q=0.9' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    const html = String(page.body);
    expect(html).toContain(skuName);
    expect(html).toContain('首次查询');
    expect(html).toContain('牧场奶源');
    expect(html).toContain('授权经销商');
    expect(html).toContain('/trace/qc/');
    expect(html).not.toContain(dealerName);
    expect(Buffer.byteLength(html)).toBeLessThan(12_000);

    const again = await gw.call('GET', link, { headers: { accept: 'application/json' } });
    expect(again.body.authenticity).toMatchObject({ verdict: 'repeat', previousQueries: 1 });
    expect(again.body.chain.map((s: { stage: string }) => s.stage)).toEqual(['farm', 'factory', 'sterilisation', 'qc', 'warehouse', 'dealer']);
    expect(JSON.stringify(again.body)).not.toContain(dealerName);
    expect(again.body.batch).toMatchObject({ code: batch, productionDate: '2025-03-01', recalled: false });

    const viaLinkType = await gw.call('GET', `${link}?linkType=gs1:traceability`);
    expect(viaLinkType.headers.get('content-type')).toMatch(/json/);
    expect(viaLinkType.body.authenticity.previousQueries).toBe(2);
    const en = await gw.call('GET', link, { headers: { 'accept-language': 'en-GB,en;q=0.8' } });
    expect(String(en.body)).toContain('Authenticity');
    const shortLink = await gw.call('GET', `/01/${gtin}/21/${serials[1]}?lang=en`);
    expect(shortLink.status).toBe(200);
    expect(String(shortLink.body)).toContain('First check');

    const all = await gw.call('GET', `${link}?linkType=all`);
    expect(all.headers.get('content-type')).toMatch(/application\/linkset\+json/);
    expect(Object.keys(all.body.linkset[0])).toEqual(expect.arrayContaining(['anchor', 'https://gs1.org/voc/pip', 'https://gs1.org/voc/traceability']));
    expect(all.body.linkset[0].anchor).toBe(`${gw.url}${link}`);
    // Behind the trusted (loopback) proxy the anchor is the public one; the caller's request id comes back.
    const proxied = await gw.call('GET', `${link}?linkType=all`, { headers: { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.cradle.example', 'x-request-id': 'scan-42' } });
    expect(proxied.body.linkset[0].anchor).toBe(`https://id.cradle.example${link}`);
    expect(proxied.headers.get('x-request-id')).toBe('scan-42');
    // HEAD: the same headers, no body.
    const head = await fetch(`${gw.url}${link}?linkType=gs1:traceability`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/application\/json/);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(100);
    expect(await head.text()).toBe('');
    // The resolver runs ahead of Express, and still counts in the request metric under its own route.
    const metrics = await (await fetch(`${gw.url}/metrics`)).text();
    expect(metrics).toMatch(/cradle_http_request_duration_seconds_count\{[^}]*route="\/01\/\*"[^}]*status="200"[^}]*\} [1-9]/);

    // The consumer shares their location: it is kept with the query, as input for the diversion rules.
    const located = await gw.call('POST', '/trace/location', { body: { queryId: again.body.queryId, lat: 30.59, lng: 114.3 } });
    expect(located.status).toBe(204);
    const q = await db.selectFrom('consumer_queries').select(['province_code']).where('id', '=', again.body.queryId).executeTakeFirstOrThrow();
    expect(q.province_code).toBe('420000');

    const qcFile = await fetch(`${gw.url}/trace/qc/${again.body.qcReports[0].id}`);
    expect(Buffer.from(await qcFile.arrayBuffer()).equals(PDF)).toBe(true);
  });

  it('says plainly when a code is not genuine, and refuses malformed links; none of it is recorded', async () => {
    const db = gw.database.db;
    const count = async () => Number((await db.selectFrom('consumer_queries').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);
    const before = await count();
    const forged = await gw.call('GET', `/01/${gtin}/10/${batch}/21/FORGED12345`);
    expect(forged.status).toBe(404);
    expect(String(forged.body)).toContain('此码不是正品码');
    const wrongBatch = await gw.call('GET', `/01/${gtin}/10/OTHER/21/${serials[0]}`, { headers: { accept: 'application/json' } });
    expect(wrongBatch.status).toBe(404);
    expect(wrongBatch.body.reason).toBe('batch_mismatch');
    const outOfOrder = await gw.call('GET', `/01/${gtin}/21/${serials[0]}/10/${batch}`, { headers: { accept: 'application/json' } });
    expect(outOfOrder.status).toBe(400);
    expect(outOfOrder.body.detail).toMatch(/order/);
    const badCheck = await gw.call('GET', `/01/${gtin.slice(0, 13)}${(Number(gtin[13]) + 1) % 10}/21/${serials[0]}`);
    expect(badCheck.status).toBe(400);
    expect(await count()).toBe(before);
  });

  it('shows a recalled batch in red', async () => {
    await gw.database.db.updateTable('batches').set({ status: 'recalled' }).where('id', '=', batchId).execute();
    const page = await gw.call('GET', `/01/${gtin}/10/${batch}/21/${serials[2]}`);
    expect(String(page.body)).toMatch(/class="recall"[^>]*>该批次已召回/);
  });
});
