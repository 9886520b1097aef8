/**
 * The EPCIS Event Hash ID as GS1's early reference implementation computed it (profile 'urn'), for checking ids
 * made that way, such as most `ni:///` eventIDs in GS1's EPCIS 2.0 example documents.
 *
 * This is a TypeScript re-implementation of the structure of the Python reference implementation
 * (github.com/RalphTro/epcis-event-hash-generator, MIT licence, (c) 2019-2021 Ralph Troeger, Sebastian Schmittner):
 * the JSON event becomes a tree of (name, value, children) nodes (`json_to_py` + `json_xml_model_mismatch_correction`),
 * the fields named in the canonical property order (`PROP_ORDER`) are written first, each group sorted, and every
 * node the ordered pass did not use up is written afterwards by a generic, sorted walk. No code was copied.
 *
 * What makes this rule set differ from CBV 2.0 §8.9 as published (the default profile):
 *  - bare CBV words become CBV 1.x URNs (urn:epcglobal:cbv:bizstep:shipping), EPC URIs and Digital Links are kept as
 *    written, CURIE keys become namespace+name without braces;
 *  - ilmd, errorDeclaration, certificationInfo and anything else outside the order go to the generic tail, sorted
 *    together with the user extensions; values there are not time-normalised;
 *  - a field named exactly `time` is not normalised (the reference tested `name.find("time") > 0`);
 *  - a sub-element the ordered pass did not use up (an extension inside sensorReport, say) makes its parent list
 *    appear a second time in the tail with only those leftovers;
 *  - numbers are written as Python writes a float (26.0 → 26, 1e-05), and any value that parses as a number is
 *    rewritten that way (007 → 7).
 */

import { canonicalTime } from './event-hash-time';

interface Node {
  name: string;
  value: string;
  children: Node[];
}

type Order = readonly (readonly [string, Order | null])[];

const QUANTITY: Order = [['epcClass', null], ['quantity', null], ['uom', null]];
const EPC: Order = [['epc', null]];
const SENSOR_METADATA: Order = ['time', 'startTime', 'endTime', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'bizRules'].map((n) => [n, null] as const);
const SENSOR_REPORT: Order = [
  'type', 'exception', 'deviceID', 'deviceMetadata', 'rawData', 'dataProcessingMethod', 'time', 'microorganism',
  'chemicalSubstance', 'value', 'component', 'stringValue', 'booleanValue', 'hexBinaryValue', 'uriValue', 'minValue',
  'maxValue', 'meanValue', 'sDev', 'percRank', 'percValue', 'uom', 'coordinateReferenceSystem',
].map((n) => [n, null] as const);

/** The reference's canonical property order (its PROP_ORDER: no ilmd, no errorDeclaration, no certificationInfo). */
const PROP_ORDER: Order = [
  ['eventTime', null],
  ['eventTimeZoneOffset', null],
  ['epcList', EPC],
  ['parentID', null],
  ['inputEPCList', EPC],
  ['childEPCs', EPC],
  ['quantityList', [['quantityElement', QUANTITY]]],
  ['childQuantityList', [['quantityElement', QUANTITY]]],
  ['inputQuantityList', [['quantityElement', QUANTITY]]],
  ['outputEPCList', EPC],
  ['outputQuantityList', [['quantityElement', QUANTITY]]],
  ['action', null],
  ['transformationID', null],
  ['bizStep', null],
  ['disposition', null],
  ['persistentDisposition', [['set', null], ['unset', null]]],
  ['readPoint', [['id', null]]],
  ['bizLocation', [['id', null]]],
  ['bizTransactionList', [['bizTransaction', [['type', null]]]]],
  ['sourceList', [['source', [['type', null]]]]],
  ['destinationList', [['destination', [['type', null]]]]],
  ['sensorElementList', [['sensorElement', [['sensorMetadata', SENSOR_METADATA], ['sensorReport', SENSOR_REPORT]]]]],
];

const CBV_URN: Readonly<Record<string, string>> = {
  bizStep: 'urn:epcglobal:cbv:bizstep:',
  disposition: 'urn:epcglobal:cbv:disp:',
  set: 'urn:epcglobal:cbv:disp:',
  unset: 'urn:epcglobal:cbv:disp:',
  reason: 'urn:epcglobal:cbv:er:',
};

/** Python's str(float(text)) with whole numbers as int, or the text unchanged if it is not a number. */
export function pythonNumber(text: string): string {
  const s = text.trim();
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return text;
  const n = Number(s);
  if (!Number.isFinite(n)) return text;
  if (Number.isInteger(n)) return BigInt(n).toString();
  const a = Math.abs(n);
  if (a >= 1e-4 && a < 1e16) return String(n);
  const [mantissa, exp = '0'] = n.toExponential().split('e');
  const e = Number(exp);
  return `${mantissa}e${e < 0 ? '-' : '+'}${String(Math.abs(e)).padStart(2, '0')}`;
}

function prefixed(text: string, ns: Readonly<Record<string, string>>): [string, string] | undefined {
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  const base = ns[text.slice(0, i)];
  return base === undefined ? undefined : [base, text.slice(i + 1)];
}

function toTree(event: Readonly<Record<string, unknown>>, ns: Readonly<Record<string, string>>): Node {
  const name = (key: string) => {
    const p = prefixed(key, ns);
    return p ? p[0] + p[1] : key;
  };
  const leaf = (key: string, parentList: string, v: unknown): string => {
    const s = String(v);
    const bare = /^[a-z_]+$/.test(s);
    if (bare && CBV_URN[key] !== undefined) return CBV_URN[key] + s;
    if (bare && key === 'type' && parentList === 'bizTransactionList') return `urn:epcglobal:cbv:btt:${s}`;
    if (bare && key === 'type' && (parentList === 'sourceList' || parentList === 'destinationList')) return `urn:epcglobal:cbv:sdt:${s}`;
    const p = prefixed(s, ns);
    return p ? p[0] + p[1] : s;
  };
  const convert = (key: string, v: unknown, parentList: string): Node[] => {
    if (Array.isArray(v)) return v.flatMap((x) => convert(key, x, parentList));
    if (v !== null && typeof v === 'object') {
      const children: Node[] = [];
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (k !== '#text' && x !== undefined && x !== null) children.push(...convert(name(k), x, key));
      }
      return [{ name: key, value: '', children }];
    }
    return [{ name: key, value: leaf(key, parentList, v), children: [] }];
  };
  const root: Node = { name: String(event.type ?? ''), value: '', children: [] };
  for (const [k, v] of Object.entries(event)) {
    if (['type', 'eventID', 'recordTime', '@context'].includes(k) || v === undefined || v === null) continue;
    root.children.push(...convert(name(k), v, ''));
  }
  return correct(root);
}

/** JSON → the XML model the reference hashes: list items named, bizTransaction/source/destination ids as values. */
function correct(node: Node): Node {
  const lists = new Map<string, Node[]>();
  let children = node.children.filter((c) => {
    if (!c.name.endsWith('List')) return true;
    lists.set(c.name, [...(lists.get(c.name) ?? []), { name: c.name.slice(0, -4), value: c.value, children: c.children }]);
    return false;
  });
  for (const [listName, items] of lists) children.push({ name: listName, value: '', children: items });
  const childEpcs = children.filter((c) => c.name === 'childEPCs');
  if (childEpcs.length > 0) {
    children = children.filter((c) => c.name !== 'childEPCs');
    children.push({ name: 'childEPCs', value: '', children: childEpcs.map((c) => ({ name: 'epc', value: c.value, children: [] })) });
  }
  const out: Node = { name: node.name, value: node.value, children: children.map(correct) };
  if (out.name === 'inputEPC' || out.name === 'outputEPC') out.name = 'epc';
  if (['inputQuantity', 'outputQuantity', 'childQuantity'].includes(out.name) || (out.name === 'quantity' && out.children.length > 0)) {
    out.name = 'quantityElement';
  }
  if (out.name === 'bizTransaction' || out.name === 'source' || out.name === 'destination') {
    const i = out.children.findIndex((c) => c.name === out.name);
    if (i >= 0) {
      out.value = out.children[i]?.value ?? '';
      out.children.splice(i, 1);
    }
  }
  return out;
}

function nodeString(node: Node, sub: Order | null): string {
  const grandChildren = sub ? ordered(node.children, sub) : '';
  let text = node.value.trim();
  if (text !== '') {
    const lower = node.name.toLowerCase();
    text = lower.indexOf('time') > 0 && !lower.includes('offset') ? canonicalTime(text) : pythonNumber(text);
    if (text !== '') text = `=${text}`;
  }
  return text !== '' || grandChildren !== '' ? node.name + text + grandChildren : '';
}

/** The ordered pass; nodes it uses up (no children left) are removed from `list`. */
function ordered(list: Node[], order: Order): string {
  let s = '';
  for (const [name, sub] of order) {
    const values: string[] = [];
    for (const child of list.filter((c) => c.name === name)) {
      const text = nodeString(child, sub);
      if (text !== '') values.push(text);
      if (child.children.length === 0) list.splice(list.indexOf(child), 1);
    }
    s += values.sort().join('');
  }
  return s;
}

function generic(list: readonly Node[]): string {
  return list
    .map((c) => {
      const text = c.value.trim();
      return c.name + (text === '' ? '' : `=${pythonNumber(text)}`) + generic(c.children);
    })
    .sort()
    .join('');
}

/** Pre-hash string of the early reference rule set; `ns` holds only the prefixes the document itself declares. */
export function legacyPreHashString(event: Readonly<Record<string, unknown>>, ns: Readonly<Record<string, string>>): string {
  const tree = toTree(event, ns);
  return `eventType=${tree.name}${ordered(tree.children, PROP_ORDER)}${generic(tree.children)}`;
}
