/** @cradle/connectors: clients of the brand's WMS, ERPs and MES, their simulators, and the resilience they share. */
export * from './records';
export * from './faults';
export * from './resilience';
export { createWmsClient, parseWmsWebhook, SourceResponseError, type WmsClient, type WmsClientOptions } from './wms/client';
export { startWmsSimulator, type WmsSimulator, type WmsSimulatorOptions } from './wms/simulator';
export { type WmsConfirmation, type WmsMovement, type WmsStockItem, wmsPath as wmsFieldPath } from './wms/wire';
