/**
 * Runs the WMS, one regional ERP and the MES simulators with some stock for the README demo, writes the
 * gateway's connector configuration to connectors.demo.json, and keeps moving stock every few seconds.
 * `node --import tsx connectors/src/demo.ts`, then start the gateway with CONNECTORS_CONFIG=connectors.demo.json.
 */
import fs from 'node:fs';
import { mappingFor, SAP_LIKE } from './erp/dialects';
import { startErpSimulator } from './erp/simulator';
import { startMesSimulator } from './mes/simulator';
import { startWmsSimulator } from './wms/simulator';

// The demo catalogue's first formula SKUs (gateway/src/demo: deterministic GTINs).
const GTINS = ['06923456000018', '06923456000025', '06923456000032'];

async function main() {
  const wms = await startWmsSimulator({ sites: ['WH-C01'], port: Number(process.env.WMS_PORT ?? 7101) });
  const erp = await startErpSimulator({ dialect: SAP_LIKE, username: 'cradle-sync', password: 'demo-erp-password', plants: ['1010'], port: Number(process.env.ERP_PORT ?? 7102) });
  const mes = await startMesSimulator({ port: Number(process.env.MES_PORT ?? 7103) });
  GTINS.forEach((g, i) => {
    wms.receive('WH-C01', g, `C${i}A`, '2026-12-31', 1200);
    wms.receive('WH-C01', g, `C${i}B`, '2027-06-30', 2400);
    erp.move({ code: '101', plant: '1010', gtin: g, batch: `N${i}A`, expiry: '2027-03-31', quantity: 600 });
  });
  mes.addBatch({ batch: 'C0A', gtin: GTINS[0]!, productionOrder: 'PO-1', line: 'L1', producedAt: '2026-01-02T08:00:00+08:00', expiryDate: '2026-12-31', quantity: 12000, sterilisationC: 137.1, holdS: 4, fillingRoomClass: 8, qcStatus: 'released' });
  const config = {
    wms: { baseUrl: wms.url, sites: ['WH-C01'], movementsEveryMs: 5000, confirmationsEveryMs: 5000, snapshotEveryMs: 300_000 },
    erps: [{ id: 'erp-r01', wsdlUrl: erp.wsdlUrl, username: 'cradle-sync', password: 'demo-erp-password', sites: ['WH-R01'], mapping: mappingFor(SAP_LIKE, { '1010': 'WH-R01' }), movementsEveryMs: 5000 }],
    mes: [{ baseUrl: mes.url, everyMs: 10_000 }],
  };
  fs.writeFileSync('connectors.demo.json', `${JSON.stringify(config, null, 2)}\n`);
  process.stdout.write(`WMS ${wms.url}\nERP ${erp.wsdlUrl}\nMES ${mes.url}\nwrote connectors.demo.json; start the gateway with CONNECTORS_CONFIG=connectors.demo.json\n`);
  let n = 0;
  setInterval(() => {
    const g = GTINS[n++ % GTINS.length]!;
    wms.move({ type: 'PICK', site: 'WH-C01', sku: g, lot: `C${GTINS.indexOf(g)}A`, bestBefore: '2026-12-31', qtyOnHand: -12, qtyAllocated: 0, qtyInTransit: 0, ref: `DEMO-${n}` });
    erp.move({ code: '601', plant: '1010', gtin: g, batch: `N${GTINS.indexOf(g)}A`, expiry: '2027-03-31', quantity: 6 });
  }, 3000);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(1);
});
