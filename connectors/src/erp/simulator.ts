import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import * as soap from 'soap';
import { FaultPlan, sleep } from '../faults';
import type { ErpDialect } from './dialects';
import { erpWsdl } from './wsdl';

export interface ErpSimulatorOptions {
  dialect: ErpDialect;
  /** WS-Security UsernameToken the ERP accepts. */
  username: string;
  password: string;
  /** The ERP's plant codes (its warehouses). */
  plants: string[];
  port?: number;
}

type Fields = Record<string, string>;

/**
 * A regional ERP as a real SOAP 1.1 service (the `soap` package) with a WSDL in its dialect and WS-Security
 * UsernameToken authentication. Holds stock per plant, a movement feed, customers, invoices and payments, and
 * takes sales orders; misbehaves on demand: timeouts, HTTP 500, SOAP faults, slow answers, malformed XML, and
 * records with bad fields.
 */
export async function startErpSimulator(opts: ErpSimulatorOptions) {
  const d = opts.dialect;
  const faults = new FaultPlan();
  const stock = new Map<string, Fields>();
  const movements: Fields[] = [];
  const customers: Fields[] = [];
  const invoices: Fields[] = [];
  const payments: Fields[] = [];
  const orders = new Map<string, { documentNo: string; customerNo: string; lines: unknown; received: number }>();
  let clock = () => new Date();
  /** The `After` position of every movement-feed read that got through, in order. */
  const feedReads: number[] = [];
  const fmtDate = (iso: string | null) => (iso === null ? '' : d.dateFormat === 'yyyymmdd' ? iso.replaceAll('-', '') : iso);
  const page = (list: Fields[], seqField: string, after: number, limit: number) => {
    const items = list.filter((x) => Number(x[seqField]) > after).slice(0, limit);
    return { Last: String(items.length ? items[items.length - 1]![seqField] : after), Items: { Item: items } };
  };

  const app = express();
  app.use(async (req, res, next) => {
    if (req.method !== 'POST') return next();
    const action = String(req.headers.soapaction ?? '').replaceAll('"', '').split('/').pop() ?? '';
    const f = faults.take(action);
    if (!f) return next();
    if (f.kind === 'timeout') return;
    if (f.kind === 'slow') {
      await sleep(f.delayMs ?? 1000);
      return next();
    }
    if (f.kind === 'http500') return void res.status(500).type('text/plain').send('Internal Server Error (injected)');
    if (f.kind === 'malformed') return void res.status(200).type('text/xml').send('<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetStockMovementsResponse><Items><Item><MENGE>12</Item>');
    res.status(500).type('text/xml').send(`<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>ERP database is locked for period closing (injected)</faultstring></soap:Fault></soap:Body></soap:Envelope>`);
  });
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(opts.port ?? 0, '127.0.0.1', () => resolve(s));
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const endpoint = `${url}/erp/ErpService`;
  const services = {
    ErpService: {
      ErpPort: {
        GetStockSnapshot: (args: { Plant: string }) => ({
          AsOf: clock().toISOString(),
          Items: { Item: [...stock.entries()].filter(([k]) => k.startsWith(`${args.Plant}|`)).map(([, v]) => v) },
        }),
        GetStockMovements: (a: { After: string; Limit: string }) => {
          feedReads.push(Number(a.After));
          return page(movements, d.movement.seq, Number(a.After), Number(a.Limit));
        },
        GetCustomers: () => ({ Items: { Item: customers } }),
        GetInvoices: (a: { After: string; Limit: string }) => page(invoices, d.invoice.seq, Number(a.After), Number(a.Limit)),
        GetPayments: (a: { After: string; Limit: string }) => page(payments, d.payment.seq, Number(a.After), Number(a.Limit)),
        ExportSalesOrder: (a: { OrderNo: string; CustomerNo: string; Lines: unknown }) => {
          const known = orders.get(a.OrderNo);
          if (known) {
            known.received++;
            return { DocumentNo: known.documentNo, Status: 'EXISTS' };
          }
          if (!customers.some((c) => c[d.customer.customerNo] === a.CustomerNo)) {
            throw { Fault: { faultcode: 'soap:Client', faultstring: `customer ${a.CustomerNo} does not exist` } };
          }
          const documentNo = `SO${String(orders.size + 1).padStart(8, '0')}`;
          orders.set(a.OrderNo, { documentNo, customerNo: a.CustomerNo, lines: a.Lines, received: 1 });
          return { DocumentNo: documentNo, Status: 'CREATED' };
        },
      },
    },
  };
  const soapServer = soap.listen(app, '/erp/ErpService', services, erpWsdl(d, endpoint));
  soapServer.authenticate = (security: unknown) => {
    const t = (security as { UsernameToken?: { Username?: unknown; Password?: unknown } } | undefined)?.UsernameToken;
    const pw = t?.Password;
    const password = typeof pw === 'object' && pw !== null && '$value' in pw ? String((pw as { $value: unknown }).$value) : String(pw ?? '');
    return String(t?.Username ?? '') === opts.username && password === opts.password;
  };

  const nextSeq = (list: Fields[]) => String(list.length + 1);
  return {
    url,
    wsdlUrl: `${endpoint}?wsdl`,
    faults,
    orders,
    feedReads,
    setClock(c: () => Date) {
      clock = c;
    },
    /** A movement in canonical terms, written as this ERP writes it; `raw` overrides fields verbatim (bad data). */
    move(m: { code: string; plant: string; gtin: string; batch: string; expiry: string | null; quantity: number; reference?: string; raw?: Fields }) {
      const mv = d.movement;
      const seq = nextSeq(movements);
      const rec: Fields = {
        [mv.id]: `49${seq.padStart(8, '0')}`, [mv.line]: '1', [mv.seq]: seq, [mv.kind]: m.code, [mv.gtin]: m.gtin, [mv.batch]: m.batch, [mv.expiryDate]: fmtDate(m.expiry),
        [mv.location]: m.plant, [mv.quantity]: String(Math.abs(m.quantity)), [mv.occurredAt]: clock().toISOString(), [mv.reference]: m.reference ?? '',
        ...m.raw,
      };
      movements.push(rec);
      const kind = d.movementKinds[m.code];
      if (kind && !m.raw) {
        const s = d.stock;
        const k = `${m.plant}|${m.gtin}|${m.batch}`;
        const p = stock.get(k) ?? { [s.gtin]: m.gtin, [s.batch]: m.batch, [s.expiryDate]: fmtDate(m.expiry), [s.location]: m.plant, [s.onHand]: '0', [s.reserved]: '0', [s.inTransit]: '0' };
        const field = s[kind.bucket];
        p[field] = String(Number(p[field]) + kind.sign * Math.abs(m.quantity));
        stock.set(k, p);
      }
      return rec;
    },
    addCustomer(c: { customerNo: string; dealerCode: string | null; name: string; creditLimit: number; paymentTermsDays: number }) {
      const f = d.customer;
      customers.push({ [f.customerNo]: c.customerNo, [f.dealerCode]: c.dealerCode ?? '', [f.name]: c.name, [f.creditLimit]: c.creditLimit.toFixed(2), [f.paymentTermsDays]: String(c.paymentTermsDays) });
    },
    addInvoice(v: { invoiceNo: string; customerNo: string; issuedOn: string; dueOn: string; amount: number }) {
      const f = d.invoice;
      invoices.push({ [f.seq]: nextSeq(invoices), [f.invoiceNo]: v.invoiceNo, [f.customerNo]: v.customerNo, [f.issuedOn]: fmtDate(v.issuedOn), [f.dueOn]: fmtDate(v.dueOn), [f.amount]: v.amount.toFixed(2), [f.currency]: 'CNY' });
    },
    addPayment(p: { paymentNo: string; customerNo: string; invoiceNo: string | null; paidOn: string; amount: number }) {
      const f = d.payment;
      payments.push({ [f.seq]: nextSeq(payments), [f.paymentNo]: p.paymentNo, [f.customerNo]: p.customerNo, [f.invoiceNo]: p.invoiceNo ?? '', [f.paidOn]: fmtDate(p.paidOn), [f.amount]: p.amount.toFixed(2), [f.currency]: 'CNY' });
    },
    /** Sends the latest movement again, `times` more times, as a new feed entry each (an ERP that re-posts). */
    duplicateLast(times: number) {
      const last = movements[movements.length - 1];
      if (!last) throw new Error('no movement to duplicate');
      for (let i = 0; i < times; i++) movements.push({ ...last, [d.movement.seq]: nextSeq(movements) });
    },
    movementCount: () => movements.length,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export type ErpSimulator = Awaited<ReturnType<typeof startErpSimulator>>;
