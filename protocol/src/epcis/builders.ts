import type { z } from 'zod';
import { err, ok, type Result } from '../result';
import { EPCIS_CONTEXT, type Action, type BizStep, type BizTransactionType, type Disposition, type ErrorReason, type SourceDestinationType } from './cbv';
import { eventHash } from './event-hash';
import {
  aggregationEventSchema,
  associationEventSchema,
  epcisDocumentSchema,
  objectEventSchema,
  transactionEventSchema,
  transformationEventSchema,
  type AggregationEvent,
  type AssociationEvent,
  type EpcisDocument,
  type EpcisEvent,
  type ObjectEvent,
  type SensorElement,
  type TransactionEvent,
  type TransformationEvent,
} from './schemas';

export interface EpcisBuildError {
  readonly code: 'INVALID_EVENT';
  readonly message: string;
  readonly issues: readonly { readonly path: string; readonly message: string }[];
}

export interface QuantityInput {
  readonly epcClass: string;
  readonly quantity?: number;
  readonly uom?: string;
}

/** Fields every builder accepts (EPCIS 2.0 §7.4.1 common event fields and "what/where/why" dimensions). */
export interface CommonEventInput {
  readonly eventTime: Date | string;
  /** Offset of the place the event happened, e.g. "+08:00" for the brand's Chinese plants. */
  readonly eventTimeZoneOffset: string;
  /** An explicit eventID, or 'hash' for the GS1 Event Hash ID (same event → same id); omitted when absent. */
  readonly eventId?: string | 'hash';
  readonly bizStep?: BizStep | (string & {});
  readonly disposition?: Disposition | (string & {});
  readonly readPoint?: string;
  readonly bizLocation?: string;
  readonly bizTransactions?: readonly { readonly type?: BizTransactionType | (string & {}); readonly id: string }[];
  readonly sources?: readonly { readonly type: SourceDestinationType | (string & {}); readonly id: string }[];
  readonly destinations?: readonly { readonly type: SourceDestinationType | (string & {}); readonly id: string }[];
  readonly sensorElements?: readonly SensorElement[];
  readonly persistentDisposition?: { readonly set?: readonly string[]; readonly unset?: readonly string[] };
  /** Marks this event as a correction of an earlier one (EPCIS 2.0 §7.4.1.2). */
  readonly errorDeclaration?: { readonly declarationTime: Date | string; readonly reason?: ErrorReason | (string & {}); readonly correctiveEventIDs?: readonly string[] };
  /** User extension fields, keys as CURIEs of a namespace declared in the document context (e.g. "cradle:line"). */
  readonly extensions?: Readonly<Record<string, unknown>>;
}

/**
 * `validate: false` skips the schema check of the built event. Only for input already validated at the boundary and
 * identifiers the caller made itself (the gateway's scans: a schema-checked MQTT payload, EPC URNs from protocol/), where
 * the check cannot fail and cost as much as building the event; anything else must keep the default.
 */
export interface BuildOptions {
  readonly validate?: boolean;
}

const time = (t: Date | string) => (typeof t === 'string' ? t : t.toISOString());

/** The common fields, written into `e` (after its `type`) in the order EPCIS documents list them. */
function common(input: CommonEventInput, e: Record<string, unknown>): void {
  e.eventTime = time(input.eventTime);
  e.eventTimeZoneOffset = input.eventTimeZoneOffset;
  if (input.errorDeclaration) {
    const d = input.errorDeclaration;
    e.errorDeclaration = {
      declarationTime: time(d.declarationTime),
      ...(d.reason === undefined ? {} : { reason: d.reason }),
      ...(d.correctiveEventIDs === undefined ? {} : { correctiveEventIDs: [...d.correctiveEventIDs] }),
    };
  }
  if (input.bizStep !== undefined) e.bizStep = input.bizStep;
  if (input.disposition !== undefined) e.disposition = input.disposition;
  if (input.persistentDisposition !== undefined) e.persistentDisposition = input.persistentDisposition;
  if (input.readPoint !== undefined) e.readPoint = { id: input.readPoint };
  if (input.bizLocation !== undefined) e.bizLocation = { id: input.bizLocation };
  if (input.bizTransactions?.length) e.bizTransactionList = input.bizTransactions.map((b) => (b.type === undefined ? { bizTransaction: b.id } : { type: b.type, bizTransaction: b.id }));
  if (input.sources?.length) e.sourceList = input.sources.map((s) => ({ type: s.type, source: s.id }));
  if (input.destinations?.length) e.destinationList = input.destinations.map((s) => ({ type: s.type, destination: s.id }));
  if (input.sensorElements?.length) e.sensorElementList = [...input.sensorElements];
}

function finish<S extends z.ZodType>(schema: S, type: string, input: CommonEventInput, fields: Record<string, unknown>, opts: BuildOptions | undefined): Result<z.infer<S>, EpcisBuildError> {
  // Written field by field into one object (type, common fields, the event's own fields that are defined, extensions),
  // not spread together from intermediate ones: every ingested scan is built here, and the copies showed in its profile.
  const event: Record<string, unknown> = { type };
  common(input, event);
  for (const k in fields) if (fields[k] !== undefined) event[k] = fields[k];
  if (input.extensions) for (const k in input.extensions) event[k] = input.extensions[k];
  if (input.eventId !== undefined) {
    event.eventID = input.eventId === 'hash' ? eventHash(event) : input.eventId;
  }
  if (opts?.validate === false) return ok(event as z.infer<S>);
  const r = schema.safeParse(event);
  if (!r.success) {
    return err({
      code: 'INVALID_EVENT',
      message: `The ${type} is not valid EPCIS 2.0.`,
      issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  return ok(r.data as z.infer<S>);
}

const quantities = (q?: readonly QuantityInput[]) => (q?.length ? q.map((x) => ({ ...x })) : undefined);
const defined = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/** ObjectEvent: things observed, commissioned (ADD) or decommissioned (DELETE), e.g. cans printed on the line. */
export function buildObjectEvent(
  input: CommonEventInput & { action: Action; epcs?: readonly string[]; quantities?: readonly QuantityInput[]; ilmd?: Record<string, unknown> },
  opts?: BuildOptions,
): Result<ObjectEvent, EpcisBuildError> {
  return finish(objectEventSchema, 'ObjectEvent', input, { action: input.action, epcList: input.epcs ? [...input.epcs] : input.quantities ? undefined : [], quantityList: quantities(input.quantities), ilmd: input.ilmd }, opts);
}

/** AggregationEvent: children packed into (ADD) or unpacked from (DELETE) a parent, e.g. cans into a case SSCC. */
export function buildAggregationEvent(
  input: CommonEventInput & { action: Action; parentId?: string; childEpcs?: readonly string[]; childQuantities?: readonly QuantityInput[] },
  opts?: BuildOptions,
): Result<AggregationEvent, EpcisBuildError> {
  return finish(aggregationEventSchema, 'AggregationEvent', input, { action: input.action, parentID: input.parentId, childEPCs: input.childEpcs ? [...input.childEpcs] : undefined, childQuantityList: quantities(input.childQuantities) }, opts);
}

/** AssociationEvent: objects associated with a parent that is not a container, e.g. a sensor fitted to a pallet. */
export function buildAssociationEvent(
  input: CommonEventInput & { action: Action; parentId: string; childEpcs?: readonly string[]; childQuantities?: readonly QuantityInput[] },
  opts?: BuildOptions,
): Result<AssociationEvent, EpcisBuildError> {
  return finish(associationEventSchema, 'AssociationEvent', input, { action: input.action, parentID: input.parentId, childEPCs: input.childEpcs ? [...input.childEpcs] : undefined, childQuantityList: quantities(input.childQuantities) }, opts);
}

/** TransactionEvent: objects tied to (ADD) or released from (DELETE) a business transaction such as a dispatch order. */
export function buildTransactionEvent(
  input: CommonEventInput & { action: Action; bizTransactions: NonNullable<CommonEventInput['bizTransactions']>; parentId?: string; epcs?: readonly string[]; quantities?: readonly QuantityInput[] },
  opts?: BuildOptions,
): Result<TransactionEvent, EpcisBuildError> {
  return finish(transactionEventSchema, 'TransactionEvent', input, { action: input.action, parentID: input.parentId, epcList: input.epcs ? [...input.epcs] : input.quantities ? undefined : [], quantityList: quantities(input.quantities) }, opts);
}

/** TransformationEvent: inputs consumed to make outputs, e.g. milk powder batches blended into a formula batch. */
export function buildTransformationEvent(
  input: CommonEventInput & { inputEpcs?: readonly string[]; inputQuantities?: readonly QuantityInput[]; outputEpcs?: readonly string[]; outputQuantities?: readonly QuantityInput[]; transformationId?: string; ilmd?: Record<string, unknown> },
  opts?: BuildOptions,
): Result<TransformationEvent, EpcisBuildError> {
  return finish(transformationEventSchema, 'TransformationEvent', input, { inputEPCList: input.inputEpcs ? [...input.inputEpcs] : undefined, inputQuantityList: quantities(input.inputQuantities), outputEPCList: input.outputEpcs ? [...input.outputEpcs] : undefined, outputQuantityList: quantities(input.outputQuantities), transformationID: input.transformationId, ilmd: input.ilmd }, opts);
}

export interface DocumentInput {
  readonly creationDate: Date | string;
  /** Extra JSON-LD context entries, e.g. { cradle: 'https://cradle.example/epcis/' } for extension fields. */
  readonly namespaces?: Readonly<Record<string, string>>;
  readonly id?: string;
}

/** An EPCISDocument (EPCIS 2.0 §9) carrying the events, with the standard JSON-LD context. */
export function buildEpcisDocument(events: readonly EpcisEvent[], input: DocumentInput): Result<EpcisDocument, EpcisBuildError> {
  const doc = {
    '@context': input.namespaces && Object.keys(input.namespaces).length ? [EPCIS_CONTEXT, { ...input.namespaces }] : [EPCIS_CONTEXT],
    type: 'EPCISDocument',
    ...(input.id === undefined ? {} : { id: input.id }),
    schemaVersion: '2.0',
    creationDate: time(input.creationDate),
    epcisBody: { eventList: [...events] },
  };
  const r = epcisDocumentSchema.safeParse(doc);
  if (!r.success) {
    return err({ code: 'INVALID_EVENT', message: 'The EPCIS document is not valid.', issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) });
  }
  return ok(r.data);
}

/** One steriliser reading series as an EPCIS sensorElement (EPCIS 2.0 §7.3.8), e.g. temperature in °C (uom CEL). */
export function sensorElement(input: {
  deviceId?: string;
  time?: Date | string;
  reports: readonly { type: string; value?: number; minValue?: number; maxValue?: number; uom?: string; time?: Date | string; exception?: string }[];
}): SensorElement {
  const meta: Record<string, string> = {};
  if (input.time !== undefined) meta.time = time(input.time);
  if (input.deviceId !== undefined) meta.deviceID = input.deviceId;
  const reports = input.reports.map((r) => defined({ ...r, time: r.time === undefined ? undefined : time(r.time) }));
  return (Object.keys(meta).length ? { sensorMetadata: meta, sensorReport: reports } : { sensorReport: reports }) as SensorElement;
}
