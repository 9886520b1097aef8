import { z } from 'zod';
import { ACTIONS } from './cbv';

/**
 * Runtime schemas for EPCIS 2.0 JSON-LD (EPCIS 2.0 §9, GS1's EPCIS-JSON-Schema). They accept what the standard
 * accepts, user extensions included (loose objects): CBV terms are typed as strings because bare words, CBV URNs
 * and other URIs are all valid. Builders use the narrower CBV types in cbv.ts.
 */

const dateTime = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/, 'an ISO-8601 date-time with offset');
const tzOffset = z.string().regex(/^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$/, 'a time zone offset such as +08:00');
const uri = z.string().regex(/^[A-Za-z][A-Za-z0-9+.-]*:\S*$/, 'a URI');

export const quantityElementSchema = z.object({ epcClass: uri, quantity: z.number().optional(), uom: z.string().optional() });
export const bizTransactionSchema = z.object({ type: z.string().optional(), bizTransaction: uri });
export const sourceSchema = z.looseObject({ type: z.string(), source: uri });
export const destinationSchema = z.looseObject({ type: z.string(), destination: uri });
export const locationSchema = z.looseObject({ id: uri });
export const persistentDispositionSchema = z.looseObject({ set: z.array(z.string()).optional(), unset: z.array(z.string()).optional() });

export const errorDeclarationSchema = z.looseObject({
  declarationTime: dateTime,
  reason: z.string().optional(),
  correctiveEventIDs: z.array(uri).optional(),
});

export const sensorMetadataSchema = z.looseObject({
  time: dateTime.optional(),
  startTime: dateTime.optional(),
  endTime: dateTime.optional(),
  deviceID: uri.optional(),
  deviceMetadata: uri.optional(),
  rawData: uri.optional(),
  dataProcessingMethod: uri.optional(),
  bizRules: uri.optional(),
});

export const sensorReportSchema = z.looseObject({
  type: z.string().optional(),
  exception: z.string().optional(),
  deviceID: uri.optional(),
  time: dateTime.optional(),
  value: z.number().optional(),
  minValue: z.number().optional(),
  maxValue: z.number().optional(),
  meanValue: z.number().optional(),
  sDev: z.number().optional(),
  percRank: z.number().optional(),
  percValue: z.number().optional(),
  stringValue: z.string().optional(),
  booleanValue: z.boolean().optional(),
  hexBinaryValue: z.string().optional(),
  uriValue: uri.optional(),
  uom: z.string().optional(),
  component: z.string().optional(),
});

export const sensorElementSchema = z.looseObject({ sensorMetadata: sensorMetadataSchema.optional(), sensorReport: z.array(sensorReportSchema) });

const commonFields = {
  '@context': z.unknown().optional(),
  eventTime: dateTime,
  recordTime: dateTime.optional(),
  eventTimeZoneOffset: tzOffset,
  eventID: uri.optional(),
  certificationInfo: z.union([z.string(), z.array(z.string())]).optional(),
  errorDeclaration: errorDeclarationSchema.optional(),
  bizStep: z.string().optional(),
  disposition: z.string().optional(),
  persistentDisposition: persistentDispositionSchema.optional(),
  readPoint: locationSchema.optional(),
  bizLocation: locationSchema.optional(),
  bizTransactionList: z.array(bizTransactionSchema).optional(),
  sourceList: z.array(sourceSchema).optional(),
  destinationList: z.array(destinationSchema).optional(),
  sensorElementList: z.array(sensorElementSchema).optional(),
};
const epcList = z.array(uri);
const quantityList = z.array(quantityElementSchema);
const action = z.enum(ACTIONS);

export const objectEventSchema = z.looseObject({
  ...commonFields,
  type: z.literal('ObjectEvent'),
  action,
  epcList: epcList.optional(),
  quantityList: quantityList.optional(),
  ilmd: z.record(z.string(), z.unknown()).optional(),
});

export const aggregationEventSchema = z.looseObject({
  ...commonFields,
  type: z.literal('AggregationEvent'),
  action,
  parentID: uri.optional(),
  childEPCs: epcList.optional(),
  childQuantityList: quantityList.optional(),
});

export const associationEventSchema = z.looseObject({
  ...commonFields,
  type: z.literal('AssociationEvent'),
  action,
  parentID: uri,
  childEPCs: epcList.optional(),
  childQuantityList: quantityList.optional(),
});

export const transactionEventSchema = z.looseObject({
  ...commonFields,
  type: z.literal('TransactionEvent'),
  action,
  parentID: uri.optional(),
  epcList: epcList.optional(),
  quantityList: quantityList.optional(),
  bizTransactionList: z.array(bizTransactionSchema).min(1),
});

export const transformationEventSchema = z.looseObject({
  ...commonFields,
  type: z.literal('TransformationEvent'),
  inputEPCList: epcList.optional(),
  inputQuantityList: quantityList.optional(),
  outputEPCList: epcList.optional(),
  outputQuantityList: quantityList.optional(),
  transformationID: uri.optional(),
  ilmd: z.record(z.string(), z.unknown()).optional(),
});

export const epcisEventSchema = z.discriminatedUnion('type', [
  objectEventSchema,
  aggregationEventSchema,
  associationEventSchema,
  transactionEventSchema,
  transformationEventSchema,
]);

export type ObjectEvent = z.infer<typeof objectEventSchema>;
export type AggregationEvent = z.infer<typeof aggregationEventSchema>;
export type AssociationEvent = z.infer<typeof associationEventSchema>;
export type TransactionEvent = z.infer<typeof transactionEventSchema>;
export type TransformationEvent = z.infer<typeof transformationEventSchema>;
export type EpcisEvent = z.infer<typeof epcisEventSchema>;
export type SensorElement = z.infer<typeof sensorElementSchema>;
export type ErrorDeclaration = z.infer<typeof errorDeclarationSchema>;

const context = z.union([z.string(), z.record(z.string(), z.unknown()), z.array(z.union([z.string(), z.record(z.string(), z.unknown())]))]);

export const epcisDocumentSchema = z.looseObject({
  '@context': context,
  type: z.literal('EPCISDocument'),
  id: uri.optional(),
  schemaVersion: z.union([z.literal('2.0'), z.string()]),
  creationDate: dateTime,
  epcisHeader: z.record(z.string(), z.unknown()).optional(),
  epcisBody: z.looseObject({ eventList: z.array(epcisEventSchema) }),
});

export const epcisQueryDocumentSchema = z.looseObject({
  '@context': context,
  type: z.literal('EPCISQueryDocument'),
  schemaVersion: z.string(),
  creationDate: dateTime,
  epcisBody: z.looseObject({
    queryResults: z.looseObject({
      queryName: z.string(),
      subscriptionID: z.string().optional(),
      resultsBody: z.looseObject({ eventList: z.array(epcisEventSchema) }),
    }),
  }),
});

export type EpcisDocument = z.infer<typeof epcisDocumentSchema>;
export type EpcisQueryDocument = z.infer<typeof epcisQueryDocumentSchema>;
