import { digitalLinkToEpcUrn } from '@cradle/protocol';
import { COMPANY_PREFIX_LENGTH } from '../trace/epc';

/**
 * What an event is about, as (kind, value) rows of epcis_event_keys, for the EPCIS 2.0 query parameters
 * (§8.2.7.1): epc, parentID, childEPC, inputEPC, outputEPC, epcClass, bizTransaction:{type}, source:{type},
 * destination:{type}. EPCs given as GS1 Digital Links are stored in their EPC URN form, so one query finds both.
 */
export interface EventKey {
  kind: string;
  value: string;
}

/** EPC URN form of an identifier given as a URN or a GS1 Digital Link URI; other URIs unchanged. */
export function normaliseEpc(value: string): string {
  if (/^https?:\/\//i.test(value)) {
    const r = digitalLinkToEpcUrn(value, { companyPrefixLength: COMPANY_PREFIX_LENGTH });
    if (r.ok) return r.value;
  }
  return value;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const objects = (v: unknown): Record<string, unknown>[] =>
  Array.isArray(v) ? v.filter((x): x is Record<string, unknown> => x !== null && typeof x === 'object') : [];

export function eventKeys(e: Record<string, unknown>): EventKey[] {
  const keys = new Map<string, EventKey>();
  const add = (kind: string, value: unknown) => {
    if (typeof value !== 'string' || value === '') return;
    const v = kind.startsWith('bizTransaction') ? value : normaliseEpc(value);
    keys.set(`${kind}\u0000${v}`, { kind, value: v });
  };
  for (const x of strings(e.epcList)) add('epc', x);
  for (const x of strings(e.childEPCs)) add('childEPC', x);
  for (const x of strings(e.inputEPCList)) add('inputEPC', x);
  for (const x of strings(e.outputEPCList)) add('outputEPC', x);
  add('parentID', e.parentID);
  for (const f of ['quantityList', 'childQuantityList', 'inputQuantityList', 'outputQuantityList']) {
    for (const q of objects(e[f])) add('epcClass', q.epcClass);
  }
  for (const b of objects(e.bizTransactionList)) add(`bizTransaction:${shortType(b.type)}`, b.bizTransaction);
  for (const s of objects(e.sourceList)) add(`source:${shortType(s.type)}`, s.source);
  for (const d of objects(e.destinationList)) add(`destination:${shortType(d.type)}`, d.destination);
  return [...keys.values()];
}

/** CBV types may come as bare words, URNs or web URIs; queries name them by the bare word. */
export function shortType(t: unknown): string {
  if (typeof t !== 'string') return '';
  const m = /(?:[-:])([a-z_]+)$/.exec(t);
  return /^[a-z_]+$/.test(t) ? t : (m?.[1] ?? t);
}

/** The bare CBV word of a bizStep or disposition given as a word, URN or web URI. */
export function cbvWord(v: unknown): string | null {
  if (typeof v !== 'string' || v === '') return null;
  if (/^[a-z_]+$/.test(v)) return v;
  const m = /(?:BizStep-|Disp-|bizstep:|disp:)([a-z_]+)$/.exec(v);
  return m?.[1] ?? v;
}
