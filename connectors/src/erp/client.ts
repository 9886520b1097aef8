import * as soap from 'soap';
import type { EndpointGuard } from '../resilience';

export interface ErpClientOptions {
  wsdlUrl: string;
  /** Overrides the WSDL's soap:address. */
  endpoint?: string | undefined;
  username: string;
  password: string;
  guard: EndpointGuard;
  timeoutMs?: number;
}

/** An ERP's answer that is not what the WSDL promised (a SOAP fault, malformed XML, an HTTP error). */
export class ErpCallError extends Error {
  override name = 'ErpCallError';
}

const asList = (items: unknown): unknown[] => {
  const item = (items as { Item?: unknown } | null | undefined)?.Item;
  return item === undefined || item === null ? [] : Array.isArray(item) ? item : [item];
};

/**
 * SOAP client of one regional ERP (`soap`), signing every call with a WS-Security UsernameToken. Answers come
 * back raw (the ERP's field names); `createErpMapper` turns them into canonical records.
 */
export function createErpClient(opts: ErpClientOptions) {
  let client: soap.Client | null = null;
  const connect = async () => {
    if (client) return client;
    const c = await soap.createClientAsync(opts.wsdlUrl, { wsdl_options: { timeout: opts.timeoutMs ?? 15_000 }, returnFault: true });
    c.setSecurity(new soap.WSSecurity(opts.username, opts.password, { passwordType: 'PasswordText', hasTimeStamp: false, hasTokenCreated: false }));
    if (opts.endpoint) c.setEndpoint(opts.endpoint);
    client = c;
    return c;
  };
  const call = (op: string, args: Record<string, unknown>) =>
    opts.guard.run(async () => {
      const c = await connect();
      const method = (c as unknown as Record<string, (a: unknown, o: unknown) => Promise<[unknown]>>)[`${op}Async`];
      if (!method) throw new ErpCallError(`the ERP's WSDL has no operation ${op}`);
      try {
        const [result] = await method.call(c, args, { timeout: opts.timeoutMs ?? 15_000 });
        return (result ?? {}) as Record<string, unknown>;
      } catch (err) {
        const e = err as { root?: { Envelope?: { Body?: { Fault?: { faultstring?: string } } } }; response?: { status?: number }; message?: string };
        const fault = e.root?.Envelope?.Body?.Fault?.faultstring;
        if (fault) throw new ErpCallError(`${op}: SOAP fault: ${fault}`);
        if (e.response?.status === 200) throw new ErpCallError(`${op}: the answer is not a well-formed SOAP message${e.message ? `: ${e.message}` : ''}`);
        if (e.response?.status) throw new ErpCallError(`${op}: HTTP ${e.response.status}${e.message ? `: ${e.message}` : ''}`);
        throw new ErpCallError(`${op}: ${e.message ?? String(err)}`);
      }
    });
  return {
    async stockSnapshot(plant: string) {
      const r = await call('GetStockSnapshot', { Plant: plant });
      const asOf = new Date(String(r.AsOf ?? ''));
      if (Number.isNaN(asOf.getTime())) throw new ErpCallError(`GetStockSnapshot: AsOf ${JSON.stringify(r.AsOf)} is not a time`);
      return { asOf, items: asList(r.Items) };
    },
    async movements(after: number, limit: number) {
      const r = await call('GetStockMovements', { After: String(after), Limit: String(limit) });
      return { last: Number(r.Last ?? after), items: asList(r.Items) };
    },
    async customers() {
      return asList((await call('GetCustomers', {})).Items);
    },
    async invoices(after: number, limit: number) {
      const r = await call('GetInvoices', { After: String(after), Limit: String(limit) });
      return { last: Number(r.Last ?? after), items: asList(r.Items) };
    },
    async payments(after: number, limit: number) {
      const r = await call('GetPayments', { After: String(after), Limit: String(limit) });
      return { last: Number(r.Last ?? after), items: asList(r.Items) };
    },
    /** Sends a sales order; the ERP keys it by order number, so a retry finds the document it already made. */
    async exportOrder(o: { orderNo: string; customerNo: string; lines: Array<{ gtin: string; quantity: number }> }): Promise<string> {
      const r = await call('ExportSalesOrder', { OrderNo: o.orderNo, CustomerNo: o.customerNo, Lines: { Line: o.lines.map((l) => ({ Gtin: l.gtin, Quantity: String(l.quantity) })) } });
      if (typeof r.DocumentNo !== 'string') throw new ErpCallError('ExportSalesOrder: no DocumentNo in the answer');
      return r.DocumentNo;
    },
  };
}

export type ErpClient = ReturnType<typeof createErpClient>;
