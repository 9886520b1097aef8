/**
 * How a regional ERP names its fields. Seven regional ERPs run two products between them; each names the
 * same things differently, so the connector reads them through a per-ERP mapping (configuration, not code).
 * The simulator renders its WSDL and records in a dialect; `mappingFor` gives the matching connector config.
 */
export interface ErpDialect {
  name: string;
  dateFormat: 'iso' | 'yyyymmdd';
  stock: { gtin: string; batch: string; expiryDate: string; location: string; onHand: string; reserved: string; inTransit: string };
  movement: { id: string; line: string; seq: string; kind: string; gtin: string; batch: string; expiryDate: string; location: string; quantity: string; occurredAt: string; reference: string };
  movementKinds: Record<string, { kind: string; bucket: 'onHand' | 'reserved' | 'inTransit'; sign: 1 | -1 }>;
  customer: { customerNo: string; dealerCode: string; name: string; creditLimit: string; paymentTermsDays: string };
  invoice: { seq: string; invoiceNo: string; customerNo: string; issuedOn: string; dueOn: string; amount: string; currency: string };
  payment: { seq: string; paymentNo: string; customerNo: string; invoiceNo: string; paidOn: string; amount: string; currency: string };
}

/** An SAP-like dialect: material/batch/plant codes, dates as YYYYMMDD, movement types 101/601/... */
export const SAP_LIKE: ErpDialect = {
  name: 'sap-like',
  dateFormat: 'yyyymmdd',
  stock: { gtin: 'EAN11', batch: 'CHARG', expiryDate: 'VFDAT', location: 'WERKS', onHand: 'CLABS', reserved: 'CSPEM', inTransit: 'CUMLM' },
  movement: { id: 'MBLNR', line: 'ZEILE', seq: 'ZSEQNR', kind: 'BWART', gtin: 'EAN11', batch: 'CHARG', expiryDate: 'VFDAT', location: 'WERKS', quantity: 'MENGE', occurredAt: 'CPUTM', reference: 'XBLNR' },
  movementKinds: {
    '101': { kind: 'receipt', bucket: 'onHand', sign: 1 },
    '601': { kind: 'dispatch', bucket: 'onHand', sign: -1 },
    '651': { kind: 'return', bucket: 'onHand', sign: 1 },
    '551': { kind: 'damage', bucket: 'onHand', sign: -1 },
    '344': { kind: 'reservation', bucket: 'reserved', sign: 1 },
    '343': { kind: 'release', bucket: 'reserved', sign: -1 },
  },
  customer: { customerNo: 'KUNNR', dealerCode: 'SORTL', name: 'NAME1', creditLimit: 'KLIMK', paymentTermsDays: 'ZTAGG' },
  invoice: { seq: 'SEQNR', invoiceNo: 'VBELN', customerNo: 'KUNRG', issuedOn: 'FKDAT', dueOn: 'NETDT', amount: 'NETWR', currency: 'WAERK' },
  payment: { seq: 'SEQNR', paymentNo: 'BELNR', customerNo: 'KUNNR', invoiceNo: 'REBZG', paidOn: 'BUDAT', amount: 'WRBTR', currency: 'WAERS' },
};

/** A Kingdee-like dialect: F-prefixed names, ISO dates, named movement types. */
export const KINGDEE_LIKE: ErpDialect = {
  name: 'kingdee-like',
  dateFormat: 'iso',
  stock: { gtin: 'FBarCode', batch: 'FLot', expiryDate: 'FExpiryDate', location: 'FStockOrg', onHand: 'FBaseQty', reserved: 'FLockQty', inTransit: 'FOnWayQty' },
  movement: { id: 'FBillNo', line: 'FEntryID', seq: 'FSeq', kind: 'FBillType', gtin: 'FBarCode', batch: 'FLot', expiryDate: 'FExpiryDate', location: 'FStockOrg', quantity: 'FQty', occurredAt: 'FDate', reference: 'FSrcBillNo' },
  movementKinds: {
    STK_InStock: { kind: 'receipt', bucket: 'onHand', sign: 1 },
    SAL_OUTSTOCK: { kind: 'dispatch', bucket: 'onHand', sign: -1 },
    SAL_RETURNSTOCK: { kind: 'return', bucket: 'onHand', sign: 1 },
    STK_LOCK: { kind: 'reservation', bucket: 'reserved', sign: 1 },
    STK_UNLOCK: { kind: 'release', bucket: 'reserved', sign: -1 },
  },
  customer: { customerNo: 'FNumber', dealerCode: 'FShortName', name: 'FName', creditLimit: 'FCreditAmount', paymentTermsDays: 'FRecConditionDays' },
  invoice: { seq: 'FSeq', invoiceNo: 'FBillNo', customerNo: 'FCustomerNumber', issuedOn: 'FDate', dueOn: 'FEndDate', amount: 'FAllAmount', currency: 'FCurrency' },
  payment: { seq: 'FSeq', paymentNo: 'FBillNo', customerNo: 'FContactUnit', invoiceNo: 'FSrcBillNo', paidOn: 'FDate', amount: 'FRecAmount', currency: 'FCurrency' },
};

/** The connector mapping that reads this dialect; `locations` maps the ERP's plant codes to our party codes. */
export function mappingFor(d: ErpDialect, locations: Record<string, string>) {
  return { dateFormat: d.dateFormat, locations, stock: d.stock, movement: { ...d.movement, kinds: d.movementKinds }, customer: d.customer, invoice: d.invoice, payment: d.payment };
}
