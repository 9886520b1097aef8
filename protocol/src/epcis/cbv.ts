/** GS1 Core Business Vocabulary 2.0 terms, as EPCIS 2.0 JSON-LD writes them (bare words; CBV 2.0 §7). */

export const BIZ_STEPS = [
  'accepting', 'arriving', 'assembling', 'collecting', 'commissioning', 'consigning', 'creating_class_instance',
  'cycle_counting', 'decommissioning', 'departing', 'destroying', 'disassembling', 'dispensing', 'encoding',
  'entering_exiting', 'holding', 'inspecting', 'installing', 'killing', 'loading', 'other', 'packing', 'picking',
  'receiving', 'removing', 'repackaging', 'repairing', 'replacing', 'reserving', 'retail_selling', 'sampling',
  'sensor_reporting', 'shipping', 'staging_outbound', 'stock_taking', 'stocking', 'storing', 'transporting',
  'unloading', 'unpacking', 'void_shipping',
] as const;
export type BizStep = (typeof BIZ_STEPS)[number];

export const DISPOSITIONS = [
  'active', 'available', 'completeness_inferred', 'completeness_verified', 'conformant', 'container_closed',
  'container_open', 'damaged', 'destroyed', 'dispensed', 'disposed', 'encoded', 'expired', 'in_progress',
  'in_transit', 'inactive', 'mismatch_instance', 'mismatch_class', 'mismatch_quantity', 'needs_replacement',
  'no_pedigree_match', 'non_conformant', 'non_sellable_other', 'partially_dispensed', 'recalled', 'reserved',
  'retail_sold', 'returned', 'sellable_accessible', 'sellable_not_accessible', 'stolen', 'unavailable', 'unknown',
] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

export const BIZ_TRANSACTION_TYPES = ['bol', 'cert', 'desadv', 'inv', 'pedigree', 'po', 'poc', 'prodorder', 'recadv', 'rma', 'testprd', 'testres', 'upevt'] as const;
export type BizTransactionType = (typeof BIZ_TRANSACTION_TYPES)[number];

export const SOURCE_DESTINATION_TYPES = ['owning_party', 'possessing_party', 'location'] as const;
export type SourceDestinationType = (typeof SOURCE_DESTINATION_TYPES)[number];

export const ERROR_REASONS = ['did_not_occur', 'incorrect_data'] as const;
export type ErrorReason = (typeof ERROR_REASONS)[number];

export const ACTIONS = ['ADD', 'OBSERVE', 'DELETE'] as const;
export type Action = (typeof ACTIONS)[number];

export const EPCIS_CONTEXT = 'https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld';

/** Web URI prefixes of CBV vocabularies (CBV 2.0 §8.2), used by the event hash to compare bare, URN and URI forms. */
export const CBV_WEB_VOCABULARY = {
  bizStep: 'https://ref.gs1.org/cbv/BizStep-',
  disposition: 'https://ref.gs1.org/cbv/Disp-',
  bizTransactionType: 'https://ref.gs1.org/cbv/BTT-',
  sourceDestinationType: 'https://ref.gs1.org/cbv/SDT-',
  errorReason: 'https://ref.gs1.org/cbv/ER-',
} as const;

/** CBV 1.x URN prefixes and their web URI equivalents. */
export const CBV_URN_PREFIXES: readonly (readonly [string, string])[] = [
  ['urn:epcglobal:cbv:bizstep:', CBV_WEB_VOCABULARY.bizStep],
  ['urn:epcglobal:cbv:disp:', CBV_WEB_VOCABULARY.disposition],
  ['urn:epcglobal:cbv:btt:', CBV_WEB_VOCABULARY.bizTransactionType],
  ['urn:epcglobal:cbv:sdt:', CBV_WEB_VOCABULARY.sourceDestinationType],
  ['urn:epcglobal:cbv:er:', CBV_WEB_VOCABULARY.errorReason],
];
