/** @cradle/connectors: clients of the brand's WMS, ERPs and MES, their simulators, and the resilience they share. */
export * from './records';
export * from './faults';
export * from './resilience';
export { createWmsClient, parseWmsWebhook, SourceResponseError, type WmsClient, type WmsClientOptions } from './wms/client';
export { startWmsSimulator, type WmsSimulator, type WmsSimulatorOptions } from './wms/simulator';
export { type WmsConfirmation, type WmsMovement, type WmsStockItem, wmsPath as wmsFieldPath } from './wms/wire';
export { createErpClient, ErpCallError, type ErpClient, type ErpClientOptions } from './erp/client';
export { createErpMapper, type ErpMapper, type ErpMapping, erpMappingSchema } from './erp/mapping';
export { type ErpDialect, KINGDEE_LIKE, mappingFor, SAP_LIKE } from './erp/dialects';
export { startErpSimulator, type ErpSimulator, type ErpSimulatorOptions } from './erp/simulator';
export { erpWsdl } from './erp/wsdl';
export { createMesClient, type MesClient, type MesClientOptions } from './mes/client';
export { startMesSimulator, type MesSimulator } from './mes/simulator';
