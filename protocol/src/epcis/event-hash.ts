import { setBounded } from '../bounded-map';
import { sha256Hex } from './sha256';
import { CBV_URN_PREFIXES, CBV_WEB_VOCABULARY } from './cbv';
import { constrainedCanonicalDigitalLink, epcUriToCanonicalDigitalLink } from './epc-to-digital-link';
import { legacyPreHashString } from './event-hash-legacy';
import { canonicalTime } from './event-hash-time';

export { canonicalTime };

/**
 * GS1 EPCIS Event Hash ID (CBV 2.0 §8.9, reference: the "EPCIS event hash generator"): a canonical pre-hash string
 * of the event's fields in a fixed order, values normalised (UTC times with ms, CBV web URIs, canonical Digital
 * Links, sorted lists), hashed with SHA-256 into ni:///sha-256;{hex}?ver=CBV2.0. The same event captured twice, or
 * serialised with its JSON keys in another order, gets the same id; eventID, recordTime and errorDeclaration are not
 * part of it. Reference: the algorithm description and Python reference implementation of the EPCIS Event Hash ID
 * (github.com/RalphTro/epcis-event-hash-generator, MIT); rule numbers below are that description's.
 */

type Json = unknown;
type Namespaces = Readonly<Record<string, string>>;

const STANDARD_FIELDS = new Set([
  '@context', 'type', 'eventID', 'recordTime', 'eventTime', 'eventTimeZoneOffset', 'certificationInfo', 'errorDeclaration',
  'epcList', 'parentID', 'inputEPCList', 'childEPCs', 'quantityList', 'childQuantityList', 'inputQuantityList',
  'outputEPCList', 'outputQuantityList', 'action', 'transformationID', 'bizStep', 'disposition', 'persistentDisposition',
  'readPoint', 'bizLocation', 'bizTransactionList', 'sourceList', 'destinationList', 'sensorElementList', 'ilmd',
]);
const QUANTITY_FIELDS = ['epcClass', 'quantity', 'uom'];
const SENSOR_METADATA_FIELDS = ['time', 'startTime', 'endTime', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules'];
const SENSOR_REPORT_FIELDS = [
  'type', 'exception', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'time', 'microorganism',
  'chemicalSubstance', 'value', 'component', 'stringValue', 'booleanValue', 'hexBinaryValue', 'uriValue', 'minValue',
  'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue', 'uom', 'coordinateReferenceSystem',
];
const LOCATION_FIELDS = ['id'];
// The field lists as sets too, made once: the hash runs for every ingested scan, and rebuilding them per call showed
// in the ingest profile.
const QUANTITY_SET: ReadonlySet<string> = new Set(QUANTITY_FIELDS);
const SENSOR_METADATA_SET: ReadonlySet<string> = new Set(SENSOR_METADATA_FIELDS);
const SENSOR_REPORT_SET: ReadonlySet<string> = new Set(SENSOR_REPORT_FIELDS);
const LOCATION_SET: ReadonlySet<string> = new Set(LOCATION_FIELDS);
const SENSOR_ELEMENT_SET: ReadonlySet<string> = new Set(['sensorMetadata', 'sensorReport']);
const NO_FIELDS: ReadonlySet<string> = new Set();
/** CURIE prefixes every EPCIS 2.0 context defines (CBV 2.0 §8.9 rule 15). */
const DEFAULT_NAMESPACES: Namespaces = { gs1: 'https://gs1.org/voc/', epcis: 'https://ref.gs1.org/epcis/', cbv: 'https://ref.gs1.org/cbv/' };

function canonicalNumber(n: number): string {
  return Number.isInteger(n) ? BigInt(n).toString() : String(n);
}

/**
 * 'cbv-2.0' (default) follows CBV 2.0 §8.9 as published: CBV web URIs and canonical Digital Links. 'urn' is the
 * early rule set of GS1's reference implementation, with which most eventIDs in GS1's EPCIS 2.0 example documents
 * were computed (see event-hash-legacy.ts). Use it only to check ids made that way.
 */
export type EventHashProfile = 'cbv-2.0' | 'urn';

/**
 * Canonical forms of strings seen lately: a line's events repeat most of their values (read point, business location,
 * bizStep, disposition, lot), and each costs several regular expressions and a Digital Link conversion. A pure
 * function of the string, so a bounded map is safe; it is emptied when full.
 */
const CANONICAL_CACHE_LIMIT = 4096;
const canonicalCache = new Map<string, string>();

/** Value normalisation shared by every field: trim, CBV URN → web URI, numbers without trailing zeros, EPC → DL. */
function canonicalValue(value: Json): string {
  if (typeof value === 'number') return canonicalNumber(value);
  if (typeof value === 'boolean') return String(value);
  const raw = String(value);
  // A serialised item's or logistic unit's EPC names one thing and does not come again event after event: kept out
  // of the cache, which it would only churn.
  if (raw.startsWith('urn:epc:id:sgtin:') || raw.startsWith('urn:epc:id:sscc:')) return canonicalString(raw);
  const known = canonicalCache.get(raw);
  if (known !== undefined) return known;
  const text = canonicalString(raw);
  setBounded(canonicalCache, CANONICAL_CACHE_LIMIT, raw, text);
  return text;
}

function canonicalString(raw: string): string {
  let text = raw.trim();
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) return canonicalNumber(Number(text));
  for (const [urn, web] of CBV_URN_PREFIXES) if (text.startsWith(urn)) text = web + text.slice(urn.length);
  if (text.startsWith('urn:epc:')) return epcUriToCanonicalDigitalLink(text) ?? text;
  if (/^https?:\/\//i.test(text)) return constrainedCanonicalDigitalLink(text) ?? text;
  return text;
}

/** Bare CBV words (JSON-LD form) expanded to their web URI (rule 16); other values canonicalised as usual. */
function vocabulary(prefix: string, value: Json): string {
  const text = String(value).trim();
  if (!/^[a-z_]+$/.test(text)) return canonicalValue(text);
  return prefix + text;
}

function expandName(key: string, ns: Namespaces): string {
  const colon = key.indexOf(':');
  if (colon > 0 && !key.includes('://')) {
    const base = ns[key.slice(0, colon)];
    if (base !== undefined) return `{${base}}${key.slice(colon + 1)}`;
  }
  return key;
}

function expandCurie(value: string, ns: Namespaces): string {
  const colon = value.indexOf(':');
  if (colon > 0 && !value.includes('://')) {
    const base = ns[value.slice(0, colon)];
    if (base !== undefined) return base + value.slice(colon + 1);
  }
  return value;
}

/** User extensions and ILMD (rules 19-21): {namespace}name=value, nested, each level sorted. */
function extensionStrings(obj: Record<string, Json>, skip: ReadonlySet<string>, ns: Namespaces): string[] {
  const out: string[] = [];
  // for…in, not Object.entries: on an event it runs over the standard fields only to find no extension, for every
  // ingested scan, and the entries array was garbage each time.
  for (const key in obj) {
    if (!Object.hasOwn(obj, key) || skip.has(key) || key.startsWith('@')) continue;
    const value = obj[key];
    const name = expandName(key, ns);
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v !== null && typeof v === 'object') {
        out.push(name + extensionStrings(v as Record<string, Json>, NO_FIELDS, ns).join(''));
      } else if (v !== null && v !== undefined) {
        const text = canonicalValue(v);
        out.push(text === '' ? name : `${name}=${text}`);
      }
    }
  }
  return out.sort();
}

function orderedFields(obj: Record<string, Json>, fields: readonly string[], fieldSet: ReadonlySet<string>, ns: Namespaces, sensor = false): string {
  let s = '';
  for (const f of fields) {
    const v = obj[f];
    if (v === undefined || v === null || v === '') continue;
    const text = /time$/i.test(f) ? canonicalTime(String(v)) : sensor && f === 'type' ? vocabulary('https://gs1.org/voc/', expandCurie(String(v), ns)) : canonicalValue(typeof v === 'string' ? expandCurie(v, ns) : v);
    s += `${f}=${text}`;
  }
  return s + extensionStrings(obj, fieldSet, ns).join('');
}

function list(name: string, items: readonly string[]): string {
  const present = items.filter((x) => x !== '');
  return present.length === 0 ? '' : name + [...present].sort().join('');
}

function asArray(v: Json): Json[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

function asObject(v: Json): Record<string, Json> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, Json>) : {};
}

/** Namespace prefixes declared in a JSON-LD @context (strings are remote contexts and are not fetched). */
export function contextNamespaces(context: Json): Record<string, string> {
  const ns: Record<string, string> = { ...DEFAULT_NAMESPACES };
  for (const entry of asArray(context)) {
    for (const [k, v] of Object.entries(asObject(entry))) if (typeof v === 'string') ns[k] = v;
  }
  return ns;
}

export interface EventHashOptions {
  /** Namespaces of the enclosing document's @context, for events taken out of a document. */
  readonly namespaces?: Readonly<Record<string, string>>;
  /** Normalisation rule set; default 'cbv-2.0'. */
  readonly profile?: EventHashProfile;
}

/** The canonical pre-hash string of an EPCIS 2.0 JSON-LD event. */
export function eventPreHashString(event: Readonly<Record<string, unknown>>, opts: EventHashOptions = {}): string {
  if (opts.profile === 'urn') {
    // The reference knew only the prefixes the document declares, not the ones every EPCIS context defines.
    const declared = Object.entries({ ...opts.namespaces, ...contextNamespaces(event['@context']) }).filter(
      ([k, v]) => DEFAULT_NAMESPACES[k] !== v,
    );
    return legacyPreHashString(event, Object.fromEntries(declared));
  }
  return preHash(event, opts);
}

/** `name=text` when the text is present (rules 4 and 5: empty and absent fields are left out). */
function field(parts: string[], name: string, text: string | undefined): void {
  if (text !== undefined && text !== '') parts.push(`${name}=${text}`);
}

function optionalValue(v: Json): string | undefined {
  return v === undefined || v === null ? undefined : canonicalValue(v);
}

function epcs(parts: string[], name: string, v: Json): void {
  if (v !== undefined && v !== null) parts.push(list(name, asArray(v).map(epcElement)));
}

function epcElement(x: Json): string {
  return `epc=${canonicalValue(x)}`;
}

function quantities(parts: string[], name: string, v: Json, ns: Namespaces): void {
  if (v === undefined || v === null) return;
  parts.push(list(name, asArray(v).map((q) => `quantityElement${orderedFields(asObject(q), QUANTITY_FIELDS, QUANTITY_SET, ns)}`)));
}

/** Namespaces for the hash: the defaults unless the caller or the event's @context adds some (the common case for scans). */
function namespacesOf(e: Record<string, Json>, opts: EventHashOptions): Namespaces {
  if (opts.namespaces === undefined && e['@context'] === undefined) return DEFAULT_NAMESPACES;
  return { ...DEFAULT_NAMESPACES, ...opts.namespaces, ...contextNamespaces(e['@context']) };
}

// Helpers at module level rather than closures inside preHash: it runs for every ingested event (and where esbuild's
// keepNames is on, as under tsx, each closure is also named as it is made).
function preHash(event: Readonly<Record<string, unknown>>, opts: EventHashOptions): string {
  const e = event as Record<string, Json>;
  if (opts.namespaces === undefined) {
    const inputs = tailInputs(e);
    if (inputs !== undefined) return simplePreHash(e, inputs);
  }
  return generalPreHash(e, namespacesOf(e, opts));
}

/** What comes before the action: type, time, zone and the EPC lists, the part that differs from one scan to the next. */
function headParts(e: Record<string, Json>, ns: Namespaces): string[] {
  const parts: string[] = [`eventType=${String(e.type ?? '')}`];
  field(parts, 'eventTime', e.eventTime === undefined ? undefined : canonicalTime(String(e.eventTime)));
  field(parts, 'eventTimeZoneOffset', e.eventTimeZoneOffset === undefined ? undefined : String(e.eventTimeZoneOffset).trim());
  // errorDeclaration is not hashed (as in the reference implementation): declaring an error on an event keeps its id,
  // which is how EPCIS 2.0 pairs the error declaration with the event it retracts.
  epcs(parts, 'epcList', e.epcList);
  field(parts, 'parentID', optionalValue(e.parentID));
  epcs(parts, 'inputEPCList', e.inputEPCList);
  epcs(parts, 'childEPCs', e.childEPCs);
  quantities(parts, 'quantityList', e.quantityList, ns);
  quantities(parts, 'childQuantityList', e.childQuantityList, ns);
  quantities(parts, 'inputQuantityList', e.inputQuantityList, ns);
  epcs(parts, 'outputEPCList', e.outputEPCList);
  quantities(parts, 'outputQuantityList', e.outputQuantityList, ns);
  return parts;
}

function generalPreHash(e: Record<string, Json>, ns: Namespaces): string {
  const parts = headParts(e, ns);
  tailParts(parts, e, ns);
  return parts.join('');
}

/**
 * The fields a scanner's events are made of (builders.ts, as the ingest calls them): an event whose every key is here,
 * with the values tailInputs checks, is hashed by simplePreHash.
 */
const SIMPLE_KEYS: ReadonlySet<string> = new Set([
  'type', 'eventID', 'recordTime', 'eventTime', 'eventTimeZoneOffset', 'epcList', 'parentID', 'childEPCs', 'action', 'bizStep', 'disposition', 'readPoint', 'bizLocation', 'ilmd',
]);

/** A location ({id} with a string id) as its id, null when absent; undefined when it is anything else. */
function locationId(v: Json): string | null | undefined {
  if (v === undefined) return null;
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  let id: string | undefined;
  for (const k in v) {
    if (!Object.hasOwn(v, k)) continue;
    const x = (v as Record<string, Json>)[k];
    if (k !== 'id' || typeof x !== 'string') return undefined;
    id = x;
  }
  return id;
}

function textOrAbsent(v: Json): v is string | undefined {
  return v === undefined || typeof v === 'string';
}

/** The values the tail is made of, for an event of the simple shape: ILMD as [key, value, key, value…], null when absent. */
interface TailInputs {
  action: string | undefined;
  bizStep: string | undefined;
  disposition: string | undefined;
  readPoint: string | null;
  bizLocation: string | null;
  ilmd: string[] | null;
}

/**
 * The tail's values, or undefined when the event is not of the simple shape (a key outside SIMPLE_KEYS, a value of
 * another type, a location with more than its id, a nested ILMD): that event takes the general path. The part before
 * the action is worked out by the general helpers whatever the shape, so only the tail's fields are looked at here.
 */
function tailInputs(e: Record<string, Json>): TailInputs | undefined {
  for (const k in e) if (Object.hasOwn(e, k) && !SIMPLE_KEYS.has(k)) return undefined;
  const { action, bizStep, disposition, ilmd } = e;
  if (!textOrAbsent(action) || !textOrAbsent(bizStep) || !textOrAbsent(disposition)) return undefined;
  const readPoint = locationId(e.readPoint);
  const bizLocation = locationId(e.bizLocation);
  if (readPoint === undefined || bizLocation === undefined) return undefined;
  if (ilmd === undefined) return { action, bizStep, disposition, readPoint, bizLocation, ilmd: null };
  if (ilmd === null || typeof ilmd !== 'object' || Array.isArray(ilmd)) return undefined;
  const entries: string[] = [];
  for (const k in ilmd) {
    if (!Object.hasOwn(ilmd, k)) continue;
    const v = (ilmd as Record<string, Json>)[k];
    if (typeof v !== 'string') return undefined;
    entries.push(k, v);
  }
  return { action, bizStep, disposition, readPoint, bizLocation, ilmd: entries };
}

function sameTailInputs(a: TailInputs, b: TailInputs): boolean {
  if (a.action !== b.action || a.bizStep !== b.bizStep || a.disposition !== b.disposition || a.readPoint !== b.readPoint || a.bizLocation !== b.bizLocation) return false;
  if (a.ilmd === null || b.ilmd === null) return a.ilmd === b.ilmd;
  if (a.ilmd.length !== b.ilmd.length) return false;
  for (let i = 0; i < a.ilmd.length; i++) if (a.ilmd[i] !== b.ilmd[i]) return false;
  return true;
}

/** One value of a tail key: '-' when absent, else its length, ':' and the text, so that no two keys run together. */
function keyPart(v: string | null | undefined): string {
  return v === undefined || v === null ? '-' : `${v.length}:${v}`;
}

function tailKey(t: TailInputs): string {
  return keyPart(t.action) + keyPart(t.bizStep) + keyPart(t.disposition) + keyPart(t.readPoint) + keyPart(t.bizLocation) + (t.ilmd === null ? '-' : `+${t.ilmd.map(keyPart).join('')}`);
}

/**
 * Pre-hash strings from the action on, by their values: a line's events share them (one action, bizStep, disposition,
 * read point and location, a few lots), and working them out took most of the hash's time per ingested scan. The last
 * one is compared field by field (the common case: the same line's next scan); others are found by a key. Pure
 * functions of the values, so a bounded map is safe; emptied when full.
 */
const TAIL_CACHE_LIMIT = 1024;
const tailCache = new Map<string, string>();
let lastTail: { inputs: TailInputs; tail: string } | undefined;

/**
 * The pre-hash string of an event of the simple shape: its head worked out, its tail remembered; the same string as
 * generalPreHash gives (a property test holds them together), made by the same helpers.
 */
function simplePreHash(e: Record<string, Json>, inputs: TailInputs): string {
  let tail: string | undefined;
  if (lastTail !== undefined && sameTailInputs(lastTail.inputs, inputs)) tail = lastTail.tail;
  else {
    const key = tailKey(inputs);
    tail = tailCache.get(key);
    if (tail === undefined) {
      const parts: string[] = [];
      tailParts(parts, e, DEFAULT_NAMESPACES);
      tail = parts.join('');
      setBounded(tailCache, TAIL_CACHE_LIMIT, key, tail);
    }
    lastTail = { inputs, tail };
  }
  return headParts(e, DEFAULT_NAMESPACES).join('') + tail;
}

/** The general path's pre-hash string, for tests that hold the simple path to it. */
export function generalEventPreHashString(event: Readonly<Record<string, unknown>>): string {
  const e = event as Record<string, Json>;
  return generalPreHash(e, namespacesOf(e, {}));
}

/** From the action on: action, transformationID, bizStep, disposition, locations, lists, sensors, ILMD, extensions. */
function tailParts(parts: string[], e: Record<string, Json>, ns: Namespaces): void {
  field(parts, 'action', optionalValue(e.action));
  field(parts, 'transformationID', optionalValue(e.transformationID));
  field(parts, 'bizStep', e.bizStep === undefined ? undefined : vocabulary(CBV_WEB_VOCABULARY.bizStep, e.bizStep));
  field(parts, 'disposition', e.disposition === undefined ? undefined : vocabulary(CBV_WEB_VOCABULARY.disposition, e.disposition));
  if (e.persistentDisposition !== undefined) {
    const p = asObject(e.persistentDisposition);
    const set = asArray(p.set).map((x) => `set=${vocabulary(CBV_WEB_VOCABULARY.disposition, x)}`).sort();
    const unset = asArray(p.unset).map((x) => `unset=${vocabulary(CBV_WEB_VOCABULARY.disposition, x)}`).sort();
    parts.push(`persistentDisposition${set.join('')}${unset.join('')}`);
  }
  if (e.readPoint !== undefined) parts.push('readPoint' + orderedFields(asObject(e.readPoint), LOCATION_FIELDS, LOCATION_SET, ns));
  if (e.bizLocation !== undefined) parts.push('bizLocation' + orderedFields(asObject(e.bizLocation), LOCATION_FIELDS, LOCATION_SET, ns));
  if (e.bizTransactionList != null) parts.push(list('bizTransactionList', asArray(e.bizTransactionList).map(bizTransactionString)));
  if (e.sourceList != null) parts.push(list('sourceList', asArray(e.sourceList).map(sourceString)));
  if (e.destinationList != null) parts.push(list('destinationList', asArray(e.destinationList).map(destinationString)));
  if (e.sensorElementList != null) parts.push(list('sensorElementList', asArray(e.sensorElementList).map((x) => sensorElementString(x, ns))));
  if (e.ilmd !== undefined) parts.push(list('ilmd', extensionStrings(asObject(e.ilmd), NO_FIELDS, ns)));
  parts.push(...extensionStrings(e, STANDARD_FIELDS, ns));
}

function bizTransactionString(b: Json): string {
  const o = asObject(b);
  return `bizTransaction=${canonicalValue(o.bizTransaction)}${o.type === undefined ? '' : `type=${vocabulary(CBV_WEB_VOCABULARY.bizTransactionType, o.type)}`}`;
}

function sourceString(x: Json): string {
  const o = asObject(x);
  return `source=${canonicalValue(o.source)}${o.type === undefined ? '' : `type=${vocabulary(CBV_WEB_VOCABULARY.sourceDestinationType, o.type)}`}`;
}

function destinationString(x: Json): string {
  const o = asObject(x);
  return `destination=${canonicalValue(o.destination)}${o.type === undefined ? '' : `type=${vocabulary(CBV_WEB_VOCABULARY.sourceDestinationType, o.type)}`}`;
}

function sensorElementString(x: Json, ns: Namespaces): string {
  const el = asObject(x);
  let s = 'sensorElement';
  if (el.sensorMetadata !== undefined) s += `sensorMetadata${orderedFields(asObject(el.sensorMetadata), SENSOR_METADATA_FIELDS, SENSOR_METADATA_SET, ns)}`;
  s += asArray(el.sensorReport).map((r) => `sensorReport${orderedFields(asObject(r), SENSOR_REPORT_FIELDS, SENSOR_REPORT_SET, ns, true)}`).sort().join('');
  return s + extensionStrings(el, SENSOR_ELEMENT_SET, ns).join('');
}

/** The GS1 EPCIS Event Hash ID of an event: ni:///sha-256;{hex}?ver=CBV2.0. */
export function eventHash(event: Readonly<Record<string, unknown>>, opts: EventHashOptions = {}): string {
  return `ni:///sha-256;${sha256Hex(eventPreHashString(event, opts))}?ver=CBV2.0`;
}
