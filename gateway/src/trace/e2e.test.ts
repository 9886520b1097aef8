/**
 * End to end, as it happens on site: a scanner on the factory's packing line reads a case label and three cans, the
 * edge agent publishes the reads over MQTT, the gateway ingests them; a warehouse scanner reads a dispatch order
 * and the case; a consumer scans a can's QR code and sees farm → factory → sterilisation → QC → warehouse → dealer.
 * The scanners are edge-agent's simulator writing into virtual serial ports (socat); the agents are the real
 * EdgeAgent. Run against embedded aedes + PGlite, and against Mosquitto + PostgreSQL.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { agentConfigSchema, EdgeAgent } from '@cradle/edge-agent';
import { newSourceId } from '@cradle/protocol';
import mqtt from 'mqtt';
import pino from 'pino';
import { ScannerSimulator } from '../../../edge-agent/src/simulators/scanner-simulator';
import { VirtualSerialPair } from '../../../edge-agent/src/simulators/virtual-serial';
import { TEST_MQTT_URL } from '../platform/testing/databases';
import { startTestGateway, type TestGateway } from '../testing/gateway';

const PDF = Buffer.from('%PDF-1.4\n%%EOF\n');
const SETUPS = [
  { name: 'embedded aedes + PGlite', driver: 'pglite' as const, env: {} as Record<string, string> },
  { name: 'Mosquitto + PostgreSQL', driver: 'postgres' as const, env: { MQTT_URL: TEST_MQTT_URL } as Record<string, string> },
];

describe.each(SETUPS)('scanner → edge agent → MQTT → gateway → consumer page ($name)', ({ driver, env }) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cradle-e2e-'));
  const stops: (() => Promise<void> | void)[] = [];
  let gw: TestGateway;

  afterAll(async () => {
    for (const s of stops.reverse()) await Promise.resolve(s()).catch(() => undefined);
    await gw?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  async function agentAt(siteCode: string, tag: string, hq: string, scanner: { id: string; role: 'item' | 'context' }) {
    const site = await gw.database.db.selectFrom('parties').select('id').where('code', '=', siteCode).executeTakeFirstOrThrow();
    const code = `E2E${tag}${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
    const device = await gw.call('POST', '/api/v1/devices', { token: hq, body: { code, kind: 'edge-agent', name: code, site_id: site.id } });
    expect(device.status).toBe(201);
    const pair = new VirtualSerialPair(path.join(dir, `${code}-agent`), path.join(dir, `${code}-device`));
    await pair.start();
    stops.push(() => pair.stop());
    const config = agentConfigSchema.parse({
      siteId: siteCode,
      deviceId: code,
      mqtt: { url: gw.mqttUrl, ...(gw.broker ? { username: code, password: device.body.mqtt_password } : {}), reconnectMs: 200 },
      outbox: { dir: path.join(dir, `${code}-outbox`), fsync: { mode: 'safe' } },
      http: { port: 0 },
      log: { level: 'silent' },
      scanners: [{ id: scanner.id, port: pair.agentEnd, role: scanner.role, baudRate: 115200, terminator: 'CR', repeatWindowMs: 0, reconnect: { initialMs: 50, maxMs: 200 } }],
    });
    const agent = new EdgeAgent(config, { log: pino({ level: 'silent' }) });
    await agent.start();
    stops.push(() => agent.stop(2000));
    const sim = new ScannerSimulator(pair.deviceEnd);
    stops.push(() => sim.close());
    // The port opens asynchronously; reads written before it is open would be lost on a real line too.
    await waitUntil(async () => (await fetch(`http://127.0.0.1:${agent.httpPort}/healthz`).then((r) => r.json()) as { status: { state: string } }).status.state === 'online');
    return { code, sim, agent };
  }

  it('shows the consumer the whole chain of a can read on the line', async () => {
    gw = await startTestGateway(driver, env);
    const hq = await gw.login('hq-admin');
    const db = gw.database.db;
    const sku = await db.selectFrom('skus').select(['gtin', 'name']).where('category', '=', 'formula').orderBy('gtin').executeTakeFirstOrThrow();
    const batch = `E${Date.now().toString(36).toUpperCase()}`;
    const factory = await db.selectFrom('parties').select('id').where('code', '=', 'F-01').executeTakeFirstOrThrow();
    const farm = await db.selectFrom('parties').select('id').where('code', '=', 'FARM-01').executeTakeFirstOrThrow();
    const dealer = await db.selectFrom('users').innerJoin('parties', 'parties.id', 'users.party_id').select(['parties.id', 'parties.name']).where('username', '=', 'dealer-demo').executeTakeFirstOrThrow();

    // HQ: codes for the line, the batch record with its farm input and QC report, the dispatch order's destination.
    const cans = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body: { idempotencyKey: `e2e-cans-${batch}`, gtin: sku.gtin, batch, quantity: 3 } });
    const cases = await gw.call('POST', '/api/v1/codes/requests', { token: hq, body: { idempotencyKey: `e2e-case-${batch}`, kind: 'case', gtin: sku.gtin, quantity: 1 } });
    const canCodes = (await gw.call('GET', `/api/v1/codes/requests/${cans.body.id}/codes`, { token: hq })).body.items as { digital_link: string; serial: string }[];
    const caseCode = (await gw.call('GET', `/api/v1/codes/requests/${cases.body.id}/codes`, { token: hq })).body.items[0] as { sscc: string };
    const b = await gw.call('POST', '/api/v1/batches', { token: hq, body: { gtin: sku.gtin, code: batch, factoryId: factory.id, line: 'L1', productionDate: '2025-03-01' } });
    await gw.call('POST', `/api/v1/batches/${b.body.id}/inputs`, { token: hq, body: { farmId: farm.id, lot: `RM-${batch}`, material: '生牛乳', milkedAt: '2025-02-28T04:30:00+08:00' } });
    await gw.call('POST', `/api/v1/batches/${b.body.id}/qc-reports`, { token: hq, body: { result: 'pass', fileName: 'qc.pdf', contentType: 'application/pdf', contentBase64: PDF.toString('base64') } });
    const order = `ORD-${batch}`;
    expect((await gw.call('POST', '/api/v1/trace/dispatch-bindings', { token: hq, body: { orderId: order, destinationId: dealer.id } })).status).toBe(201);

    // The factory line: a context scanner reads the case label, then the three cans going into it.
    const line = await agentAt('F-01', 'F', hq, { id: 'PACK1', role: 'context' });
    line.sim.write(`]C100${caseCode.sscc}`);
    for (const c of canCodes) line.sim.write(`]Q1${c.digital_link}`);
    // The steriliser's reading for the batch, as the line's PLC gateway publishes it (OPC-UA collector not simulated here).
    const plcSite = await db.selectFrom('parties').select('id').where('code', '=', 'F-01').executeTakeFirstOrThrow();
    const plcCode = `E2EPLC${Math.random().toString(36).slice(2, 6).toUpperCase()}`;
    const plc = await gw.call('POST', '/api/v1/devices', { token: hq, body: { code: plcCode, kind: 'edge-agent', name: plcCode, site_id: plcSite.id } });
    const plcClient = await mqtt.connectAsync(gw.mqttUrl, { ...(gw.broker ? { username: plcCode, password: plc.body.mqtt_password } : {}), reconnectPeriod: 0 });
    stops.push(() => plcClient.endAsync(true));
    await plcClient.publishAsync(`cradle/v1/F-01/${plcCode}/reading`, JSON.stringify({ v: 1, id: newSourceId(), siteId: 'F-01', deviceId: plcCode, seq: 1, ts: new Date().toISOString(), source: 'ns=2;s=Steriliser1.Temp', name: 'sterilisation_temperature', value: 137.1, unit: 'Cel', quality: 'good', batch, outOfLimits: false, limits: { min: 135, max: 140 } }), { qos: 1 });

    const canEpc = (await db.selectFrom('codes').select('epc').where('serial', '=', canCodes[0]!.serial).executeTakeFirstOrThrow()).epc;
    await waitUntil(async () => {
      const rows = await db.selectFrom('codes').select(['state', 'parent_epc']).where('request_id', '=', cans.body.id).execute();
      return rows.every((r) => r.state === 'commissioned' && r.parent_epc !== null);
    });

    // The warehouse: the dispatch order's barcode, then the case as it is loaded.
    const dock = await agentAt('WH-C01', 'W', hq, { id: 'DOCK1', role: 'item' });
    dock.sim.write(order);
    dock.sim.write(`]C100${caseCode.sscc}`);
    await waitUntil(async () => (await db.selectFrom('codes').select('shipped_to').where('epc', '=', canEpc).executeTakeFirstOrThrow()).shipped_to === dealer.id);

    // The consumer scans the can.
    const url = new URL(canCodes[0]!.digital_link);
    const json = await gw.call('GET', `${url.pathname}`, { headers: { accept: 'application/json' } });
    expect(json.status).toBe(200);
    expect(json.body.chain.map((s: { stage: string }) => s.stage)).toEqual(['farm', 'factory', 'sterilisation', 'qc', 'warehouse', 'dealer']);
    expect(json.body.authenticity.verdict).toBe('first');
    expect(json.body.batch).toMatchObject({ code: batch, productionDate: '2025-03-01' });
    const page = await gw.call('GET', url.pathname, { headers: { 'accept-language': 'zh-CN' } });
    const html = String(page.body);
    for (const text of [sku.name, '牧场奶源', '工厂生产', '杀菌', '质检报告', '仓库发货', '授权经销商', '137.1']) expect(html).toContain(text);
    expect(html).not.toContain(dealer.name);
    // Nothing was refused along the way.
    const problems = await db.selectFrom('device_problems').select(['kind', 'detail']).where('device_code', 'in', [line.code, dock.code, plcCode]).execute();
    expect(problems).toEqual([]);
  }, 90_000);
});

async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}
