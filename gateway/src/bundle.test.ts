/**
 * The gateway as `npm start` and the Docker image run it: one esbuild bundle (gateway/scripts/build.js) on plain Node,
 * not the sources through tsx. Built here from the current sources and started on PostgreSQL and Mosquitto; what a
 * bundle can get wrong is what it must carry besides code (the GS1 EPCIS schema, the region catalogue, the demo data)
 * and module wiring, so those paths are exercised.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { gatewayFixture } from './ingest/process-gateway';

const { bundle } = require('../../protocol/scripts/bundle.js') as { bundle(entry: string, outfile: string, options: object): Promise<string> };
const { GATEWAY_BUNDLE } = require('../scripts/build.js') as { GATEWAY_BUNDLE: object };

describe('the gateway bundle (npm start, Docker)', () => {
  const fx = gatewayFixture();
  const outfile = path.join(__dirname, '..', 'dist', `test-${crypto.randomBytes(4).toString('hex')}.js`);
  afterAll(async () => {
    await fx.cleanup();
    for (const f of [outfile, `${outfile}.map`]) fs.rmSync(f, { force: true });
  });

  it('starts, serves the API, validates EPCIS against the bundled GS1 schema and resolves codes', async () => {
    expect(await bundle(path.join(__dirname, 'main.ts'), outfile, GATEWAY_BUNDLE)).toMatch(/^built /);
    const gw = await fx.spawn({}, outfile);
    await gw.ready();
    const auth = { authorization: `Bearer ${await gw.token()}`, 'content-type': 'application/json' };

    // The demo network came from the bundled region catalogue and demo data.
    const dealers = await fetch(`${gw.base}/api/v1/dealers?tier=1&limit=1`, { headers: auth });
    expect(dealers.status).toBe(200);
    expect(((await dealers.json()) as { total: number }).total).toBe(120);

    // Schema-invalid EPCIS: refused with the failing path, so the schema was found inside the bundle.
    const before = await fx.count('select count(*) as n from epcis_events');
    const bad = await fetch(`${gw.base}/epcis/capture`, {
      method: 'POST',
      headers: auth,
      body: JSON.stringify({ '@context': ['https://ref.gs1.org/standards/epcis/epcis-context.jsonld'], type: 'EPCISDocument', schemaVersion: '2.0', creationDate: '2025-03-03T08:00:00.000Z', epcisBody: { eventList: [{ type: 'ObjectEvent', eventTime: 'yesterday', eventTimeZoneOffset: '+08:00', epcList: [], action: 'OBSERVE' }] } }),
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain('body.epcisBody.eventList.0.eventTime');
    expect(await fx.count('select count(*) as n from epcis_events')).toBe(before);

    // A code nobody issued: the resolver's "not genuine" page.
    const gtin = (await fx.pool.query<{ gtin: string }>(`select gtin from skus where category = 'formula' order by gtin limit 1`)).rows[0]!.gtin;
    const unknown = await fetch(`${gw.base}/01/${gtin}/21/NOSUCHSERIAL1`, { headers: { accept: 'application/json' } });
    expect(unknown.status).toBe(404);
  }, 180_000);
});
