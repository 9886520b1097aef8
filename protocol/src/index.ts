/**
 * @cradle/protocol: the contract edge, connectors and gateway share. GS1 element strings and Digital Link, code
 * identities (SGTIN, SSCC, SGLN) and EPC URNs, EPCIS 2.0 events and the event hash, and the MQTT topics and payloads.
 * Pure functions and schemas: no I/O, runs in Node and the browser.
 */
export * from './result';
export { setBounded } from './bounded-map';
export * from './gs1/scan-error';
export type { AiSpec, AiComponentSpec } from './gs1/ai-spec';
export { aiSpec, knownAis } from './gs1/ai-table';
export { SYNTAX_DICTIONARY_RELEASE } from './gs1/ai-table.generated';
export { gs1CheckDigit, hasValidCheckDigit, isValidGtin, isValidGln, isValidSscc, toGtin14 } from './gs1/check-digit';
export { parseGs1Date, resolveGs1Year, type Gs1Date } from './gs1/dates';
export {
  GS,
  parseElementString,
  buildElementString,
  type ElementStringOptions,
  type ParsedElementString,
  type BuildElementStringOptions,
} from './gs1/element-string';
export { parseScan, DEFAULT_NO_READ_STRINGS, type Scan, type ParseScanOptions, type Symbology } from './gs1/scan';
export * from './digital-link/digital-link';
export * from './identity/epc-urn';
export * from './identity/serials';
export * from './mqtt/source-id';
export * from './mqtt/topics';
export * from './mqtt/client-log';
export * from './mqtt/payloads';
export * from './epcis/cbv';
export * from './epcis/schemas';
export * from './epcis/builders';
export { eventHash, eventPreHashString, canonicalTime, contextNamespaces, type EventHashOptions, type EventHashProfile } from './epcis/event-hash';
export { epcUriToCanonicalDigitalLink, constrainedCanonicalDigitalLink } from './epcis/epc-to-digital-link';
