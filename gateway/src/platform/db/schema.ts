import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

/** Kysely table types; each matches a migration in ./migrations. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T = Record<string, unknown>> = ColumnType<T, string | T | undefined, string | T>;

export type RegionLevel = 'province' | 'city' | 'county';
export type SkuCategory = 'formula' | 'diapers' | 'wipes' | 'baby_food' | 'cots' | 'bags';
export const SKU_CATEGORIES: readonly SkuCategory[] = ['formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags'];
export type DiaperSize = 'NB' | 'S' | 'M' | 'L' | 'XL';
export type PartyKind = 'dealer' | 'store' | 'warehouse' | 'factory' | 'farm';
export type Role = 'hq' | 'dealer' | 'store';

export interface RegionsTable {
  code: string;
  name: string;
  level: RegionLevel;
  parent_code: string | null;
  province_code: string;
  lat: number | null;
  lng: number | null;
}

export interface SkusTable {
  id: Generated<string>;
  gtin: string;
  name: string;
  name_en: string | null;
  category: SkuCategory;
  size: DiaperSize | null;
  units_per_case: number;
  pack_sizes: ColumnType<number[], number[] | undefined, number[]>;
  shelf_life_days: number;
  expiry_warning_days: number;
  status: ColumnType<'active' | 'discontinued', 'active' | 'discontinued' | undefined>;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PartiesTable {
  id: Generated<string>;
  code: string;
  kind: PartyKind;
  name: string;
  tier: 1 | 2 | null;
  parent_id: string | null;
  region_code: string;
  gln: string | null;
  lat: number | null;
  lng: number | null;
  chain: string | null;
  warehouse_kind: 'central' | 'regional' | null;
  status: ColumnType<'active' | 'suspended' | 'closed', 'active' | 'suspended' | 'closed' | undefined>;
  attributes: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DevicesTable {
  id: Generated<string>;
  code: string;
  kind: 'edge-agent' | 'scanner' | 'plc';
  name: string;
  site_id: string;
  parent_id: string | null;
  status: ColumnType<'active' | 'revoked', 'active' | 'revoked' | undefined>;
  mqtt_username: string | null;
  mqtt_password_hash: string | null;
  config: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface UsersTable {
  id: Generated<string>;
  username: string;
  password_hash: string;
  role: Role;
  party_id: string | null;
  display_name: string;
  disabled: ColumnType<boolean, boolean | undefined>;
  created_at: Timestamp;
}

export interface ApiKeysTable {
  id: Generated<string>;
  prefix: string;
  key_hash: string;
  name: string;
  role: Role;
  party_id: string | null;
  scopes: string[];
  created_by: string | null;
  created_at: Timestamp;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

export interface MembersTable {
  id: Generated<string>;
  store_id: string;
  name: string;
  phone: string;
  baby_birth_date: ColumnType<string | null, string | null | undefined>;
  region_code: string;
  created_at: Timestamp;
}

export interface AuditLogTable {
  id: Generated<string>;
  at: Timestamp;
  actor: string;
  action: string;
  entity: string;
  entity_id: string | null;
  detail: Json;
}

// Region control (migration 004_region_control): authorisations, holds, prices, diversion alerts.
type Numeric = ColumnType<string, string | number, string | number>;

export interface RegionAuthorisationsTable {
  id: Generated<string>;
  dealer_id: string;
  region_code: string;
  valid_from: Timestamp;
  valid_to: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  shared: ColumnType<boolean, boolean | undefined, boolean>;
  version: number;
  note: string | null;
  created_by: string;
  created_at: Timestamp;
  ended_by: string | null;
  ended_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface RegionHoldsTable {
  id: Generated<string>;
  kind: 'order' | 'transfer';
  reference: string;
  dealer_id: string;
  delivery_region_code: string;
  reason: string;
  status: ColumnType<'held' | 'approved' | 'rejected', 'held' | 'approved' | 'rejected' | undefined>;
  requested_at: Timestamp;
  decided_by: string | null;
  decided_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  decision_note: string | null;
}

export interface PriceRuleSetsTable {
  id: Generated<string>;
  effective_from: ColumnType<string, string, string>;
  rules: Json;
  note: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface SkuBasePricesTable {
  sku_id: string;
  effective_from: ColumnType<string, string, string>;
  price_cny: Numeric;
  created_by: string;
  created_at: Timestamp;
}

export interface PriceOverridesTable {
  id: Generated<string>;
  region_code: string;
  sku_id: string;
  channel_level: 'retail' | 'first_tier' | 'second_tier' | 'store';
  effective_from: ColumnType<string, string, string>;
  price_cny: ColumnType<string | null, string | number | null, string | number | null>;
  reason: string;
  created_by: string;
  created_at: Timestamp;
}

export interface DiversionSettingsTable {
  id: ColumnType<number, number | undefined, number>;
  rules: Json;
  updated_by: string;
  updated_at: Timestamp;
}

export interface DiversionQuietRulesTable {
  id: Generated<string>;
  dealer_id: string | null;
  region_code: string;
  batch: string | null;
  gtin: string | null;
  valid_from: Timestamp;
  valid_to: Timestamp;
  reason: string;
  created_by: string;
  created_at: Timestamp;
}

export type AlertKind = 'diversion' | 'clone-velocity' | 'clone-excess-scans' | 'counterfeit-unissued' | 'decommissioned-scan';
export type AlertStatus = 'watching' | 'open' | 'investigating' | 'confirmed' | 'dismissed';

export interface DiversionAlertsTable {
  id: Generated<string>;
  kind: AlertKind;
  key: string;
  status: ColumnType<AlertStatus, AlertStatus | undefined, AlertStatus>;
  source_dealer_id: string | null;
  victim_dealer_id: string | null;
  found_region_code: string | null;
  batch: string | null;
  gtin: string | null;
  code: string | null;
  dispatch_order_id: string | null;
  distance_km: number | null;
  item_count: ColumnType<number, number | undefined, number>;
  scan_count: ColumnType<number, number | undefined, number>;
  evidence_weight: ColumnType<number, number | undefined, number>;
  first_evidence_at: Timestamp;
  latest_evidence_at: Timestamp;
  opened_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  assignee: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface DiversionEvidenceTable {
  event_id: string;
  alert_id: string;
  code: string;
  gtin: string | null;
  batch: string | null;
  serial: string | null;
  sscc: string | null;
  biz_step: string;
  source: string;
  event_time: Timestamp;
  region_code: string | null;
  located_by: string | null;
  lat: number | null;
  lng: number | null;
  scanning_party_id: string | null;
  device_id: string | null;
  item_count: number;
  weight: number;
  shipped_to_dealer_id: string | null;
  dispatch_order_id: string | null;
  shipped_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  distance_km: number | null;
  recorded_at: Timestamp;
}

export interface ConsumerScansTable {
  event_id: string;
  code: string;
  event_time: Timestamp;
  region_code: string | null;
  lat: number | null;
  lng: number | null;
}

export interface DiversionAlertNotesTable {
  id: Generated<string>;
  alert_id: string;
  at: Timestamp;
  author: string;
  from_status: string | null;
  to_status: string | null;
  assignee: string | null;
  text: string | null;
}

export interface AlertWebhooksTable {
  id: Generated<string>;
  url: string;
  secret: string;
  kinds: string[];
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string;
  created_at: Timestamp;
}

export interface DealerComplianceRecordsTable {
  id: Generated<string>;
  dealer_id: string;
  alert_id: string;
  kind: string;
  item_count: number;
  points: number;
  confirmed_by: string;
  confirmed_at: Timestamp;
}

export interface DiversionFeedCursorsTable {
  name: string;
  position: string;
  updated_at: Timestamp;
}

type DateString = ColumnType<string, string, string>;

export interface StockReconciliationsTable {
  id: Generated<number>;
  snapshot_key: string;
  source: string;
  as_of: Timestamp;
  received_at: Timestamp;
  location_ids: string[];
  rows: number;
  differences: ColumnType<number, number | undefined, number>;
  status: 'applied' | 'stale';
  note: string | null;
}

export interface StockMovementsTable {
  id: Generated<number>;
  idempotency_key: string;
  source: string;
  reason: string;
  sku_id: string;
  batch: string;
  expiry_date: string | null;
  location_id: string;
  d_on_hand: ColumnType<number, number | undefined, number>;
  d_reserved: ColumnType<number, number | undefined, number>;
  d_in_transit: ColumnType<number, number | undefined, number>;
  occurred_at: Timestamp;
  recorded_at: Timestamp;
  applied: ColumnType<boolean, boolean | undefined, boolean>;
  reference: string | null;
  reconciliation_id: number | null;
  snapshot_on_hand: number | null;
  snapshot_reserved: number | null;
  snapshot_in_transit: number | null;
}

export interface StockBalancesTable {
  sku_id: string;
  location_id: string;
  batch: string;
  expiry_date: string | null;
  on_hand: ColumnType<number, number | undefined, number>;
  reserved: ColumnType<number, number | undefined, number>;
  in_transit: ColumnType<number, number | undefined, number>;
  updated_at: Timestamp;
}

export interface StockLocationFreshnessTable {
  location_id: string;
  source: string;
  data_as_of: Date | null;
  received_at: Date | null;
  last_snapshot_as_of: Date | null;
}

export interface StockExpiryPoliciesTable {
  id: Generated<number>;
  category: SkuCategory | null;
  sku_id: string | null;
  warning_days: number;
  updated_at: Timestamp;
  updated_by: string;
}

export interface StockExpiryWarningsTable {
  run_date: DateString;
  sku_id: string;
  location_id: string;
  batch: string;
  dealer_id: string | null;
  expiry_date: DateString;
  days_left: number;
  threshold_days: number;
  on_hand: number;
  fefo_rank: number;
  batches_here: number;
  suggestion: string;
}

export interface StockNotificationsTable {
  id: Generated<number>;
  kind: string;
  run_date: DateString;
  recipient: string;
  title: string;
  body: Json<Record<string, unknown>>;
  created_at: Timestamp;
}

export interface ConnectorCursorsTable {
  connector: string;
  stream: string;
  position: string;
  updated_at: Timestamp;
}

export interface ConnectorDeadLettersTable {
  id: Generated<number>;
  connector: string;
  stream: string;
  record_key: string;
  record: Json<unknown>;
  error: string;
  field_path: string | null;
  received_at: Timestamp;
  status: ColumnType<'open' | 'replayed' | 'discarded', 'open' | 'replayed' | 'discarded' | undefined>;
  resolved_at: Date | null;
  resolved_by: string | null;
}

export interface ConnectorSyncAttemptsTable {
  id: Generated<number>;
  connector: string;
  stream: string;
  at: Timestamp;
  ok: boolean;
  items: ColumnType<number, number | undefined, number>;
  lag_seconds: number | null;
  error: string | null;
}

export interface ErpDealerAccountsTable {
  erp: string;
  customer_no: string;
  dealer_id: string | null;
  dealer_code: string | null;
  name: string;
  credit_limit: number | null;
  payment_terms_days: number | null;
  updated_at: Timestamp;
}

export interface ErpInvoicesTable {
  erp: string;
  invoice_no: string;
  customer_no: string;
  issued_on: DateString;
  due_on: DateString;
  amount: number;
  currency: string;
}

export interface ErpPaymentsTable {
  erp: string;
  payment_no: string;
  customer_no: string;
  invoice_no: string | null;
  paid_on: DateString;
  amount: number;
  currency: string;
}

export interface ErpOrderExportsTable {
  erp: string;
  order_no: string;
  erp_document_no: string;
  exported_at: Timestamp;
}

export interface WmsDispatchTasksTable {
  task_no: string;
  warehouse_id: string;
  destination_id: string;
  lines: Json<unknown>;
  status: 'pending' | 'sent' | 'confirmed';
  sent_at: Date | null;
  confirmed_at: Date | null;
  created_at: Timestamp;
}

export interface MesProductionOrdersTable {
  mes: string;
  order_no: string;
  gtin: string;
  line: string;
  planned_qty: number;
  status: string;
  planned_start: Date | null;
  updated_at: Timestamp;
}

export interface MesBatchRecordsTable {
  batch: string;
  gtin: string;
  mes: string;
  production_order: string | null;
  line: string;
  produced_at: Timestamp;
  expiry_date: DateString;
  quantity: number;
  sterilisation_c: number | null;
  hold_s: number | null;
  filling_room_class: number | null;
  qc_status: string | null;
  record: Json<unknown>;
  received_at: Timestamp;
}

export interface Database extends TraceTables, OrderTables {
  regions: RegionsTable;
  skus: SkusTable;
  parties: PartiesTable;
  devices: DevicesTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  members: MembersTable;
  audit_log: AuditLogTable;
  region_authorisations: RegionAuthorisationsTable;
  region_holds: RegionHoldsTable;
  price_rule_sets: PriceRuleSetsTable;
  sku_base_prices: SkuBasePricesTable;
  price_overrides: PriceOverridesTable;
  diversion_settings: DiversionSettingsTable;
  diversion_quiet_rules: DiversionQuietRulesTable;
  diversion_alerts: DiversionAlertsTable;
  diversion_evidence: DiversionEvidenceTable;
  consumer_scans: ConsumerScansTable;
  diversion_alert_notes: DiversionAlertNotesTable;
  alert_webhooks: AlertWebhooksTable;
  dealer_compliance_records: DealerComplianceRecordsTable;
  diversion_feed_cursors: DiversionFeedCursorsTable;
  stock_reconciliations: StockReconciliationsTable;
  stock_movements: StockMovementsTable;
  stock_balances: StockBalancesTable;
  stock_location_freshness: StockLocationFreshnessTable;
  stock_expiry_policies: StockExpiryPoliciesTable;
  stock_expiry_warnings: StockExpiryWarningsTable;
  stock_notifications: StockNotificationsTable;
  connector_cursors: ConnectorCursorsTable;
  connector_dead_letters: ConnectorDeadLettersTable;
  connector_sync_attempts: ConnectorSyncAttemptsTable;
  erp_dealer_accounts: ErpDealerAccountsTable;
  erp_invoices: ErpInvoicesTable;
  erp_payments: ErpPaymentsTable;
  erp_order_exports: ErpOrderExportsTable;
  wms_dispatch_tasks: WmsDispatchTasksTable;
  mes_production_orders: MesProductionOrdersTable;
  mes_batch_records: MesBatchRecordsTable;
}

export type Region = Selectable<RegionsTable>;
export type Sku = Selectable<SkusTable>;
export type NewSku = Insertable<SkusTable>;
export type SkuUpdate = Updateable<SkusTable>;
export type Party = Selectable<PartiesTable>;
export type NewParty = Insertable<PartiesTable>;
export type Device = Selectable<DevicesTable>;
export type User = Selectable<UsersTable>;

/* Traceability (migration 002_trace). */
export type CodeKind = 'item' | 'case' | 'pallet';
export type CodeState = 'issued' | 'commissioned' | 'shipped' | 'received' | 'sold' | 'decommissioned';
export type BatchStatus = 'open' | 'completed' | 'held' | 'released' | 'aborted' | 'recalled';

export interface BatchesTable {
  id: Generated<string>;
  gtin: string;
  code: string;
  factory_id: string | null;
  line: string | null;
  production_date: string | null;
  expiry_date: string | null;
  status: ColumnType<BatchStatus, BatchStatus | undefined, BatchStatus>;
  release_override: Json<{ reason: string; by: string; at: string }> | null;
  details: Json;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface BatchInputsTable {
  id: Generated<string>;
  batch_id: string;
  farm_id: string | null;
  lot: string;
  material: string;
  quantity: number | null;
  unit: string | null;
  milked_at: Date | string | null;
  data: Json;
  created_at: Timestamp;
}

export interface BatchReadingsTable {
  source_id: string;
  site_id: string;
  device_code: string;
  batch_code: string | null;
  name: string;
  value: number;
  unit: string;
  quality: string;
  out_of_limits: boolean;
  limits: Json | null;
  at: Timestamp;
}

export interface QcReportsTable {
  id: Generated<string>;
  batch_id: string;
  result: 'pass' | 'fail';
  summary: string | null;
  file_name: string;
  content_type: string;
  sha256: string;
  size_bytes: number;
  content: Buffer;
  created_by: string;
  created_at: Timestamp;
}

export interface CodeRequestsTable {
  id: Generated<string>;
  idempotency_key: string;
  kind: CodeKind;
  gtin: string | null;
  batch_code: string | null;
  quantity: number;
  requested_by: string;
  created_at: Timestamp;
}

export interface CodesTable {
  epc: string;
  kind: CodeKind;
  gtin: string | null;
  serial: string | null;
  sscc: string | null;
  batch_code: string | null;
  request_id: string | null;
  state: ColumnType<CodeState, CodeState | undefined, CodeState>;
  parent_epc: string | null;
  order_id: string | null;
  shipped_to: string | null;
  holder_id: string | null;
  commissioned_at: Date | null;
  last_event_at: Date | null;
  issued_at: Timestamp;
}

export interface EpcisEventsTable {
  pk: Generated<number>;
  /** The event's own eventID; null when its eventID is its GS1 event hash (event_hash). Read coalesce(event_id, event_hash). */
  event_id: string | null;
  event_hash: string;
  source_id: string | null;
  type: string;
  action: string | null;
  event_time: Date | string;
  record_time: Timestamp;
  biz_step: string | null;
  disposition: string | null;
  read_point: string | null;
  biz_location: string | null;
  doc: Json;
}

export interface EpcisEventKeysTable {
  event_pk: number;
  kind: string;
  value: string;
}

export interface AnomaliesTable {
  id: Generated<number>;
  kind: string;
  epc: string | null;
  event_pk: number | null;
  source_id: string | null;
  detail: string;
  evidence: Json;
  detected_at: Timestamp;
}

export interface DispatchBindingsTable {
  order_id: string;
  destination_id: string;
  source_site_id: string | null;
  created_by: string;
  created_at: Timestamp;
}

export interface IngestMessagesTable {
  source_id: string;
  device_code: string;
  channel: string;
  seq: number;
  received_at: Timestamp;
}

export interface DeviceStreamsTable {
  device_code: string;
  site_code: string;
  max_seq: ColumnType<number, number | undefined, number>;
  received: ColumnType<number, number | undefined, number>;
  rejected: ColumnType<number, number | undefined, number>;
  missing: ColumnType<number, number | undefined, number>;
  last_status: string | null;
  last_status_detail: Json | null;
  last_status_at: Date | null;
  last_seen_at: Date | null;
}

export interface DeviceSeqGapsTable {
  id: Generated<number>;
  device_code: string;
  from_seq: number;
  to_seq: number;
  filled: ColumnType<number, number | undefined, number>;
  detected_at: Timestamp;
}

export interface DeviceProblemsTable {
  id: Generated<number>;
  device_code: string;
  site_code: string | null;
  kind: string;
  detail: string;
  topic: string | null;
  source_id: string | null;
  at: Timestamp;
}

export interface ConsumerQueriesTable {
  id: Generated<string>;
  epc: string;
  at: Timestamp;
  lat: number | null;
  lng: number | null;
  region_code: string | null;
  province_code: string | null;
  client_hash: string | null;
  user_agent: string | null;
}

export interface EpcisCaptureJobsTable {
  id: Generated<string>;
  status: ColumnType<'running' | 'succeeded' | 'failed', 'running' | 'succeeded' | 'failed' | undefined>;
  document: Json<unknown> | null;
  captured: ColumnType<number, number | undefined, number>;
  duplicates: ColumnType<number, number | undefined, number>;
  errors: Json<unknown[]>;
  created_by: string;
  created_at: Timestamp;
  finished_at: Date | null;
}

/** Tables of migration 002_trace, merged into Database. */
export interface TraceTables {
  batches: BatchesTable;
  batch_inputs: BatchInputsTable;
  batch_readings: BatchReadingsTable;
  qc_reports: QcReportsTable;
  code_requests: CodeRequestsTable;
  codes: CodesTable;
  epcis_events: EpcisEventsTable;
  epcis_event_keys: EpcisEventKeysTable;
  anomalies: AnomaliesTable;
  dispatch_bindings: DispatchBindingsTable;
  ingest_messages: IngestMessagesTable;
  device_streams: DeviceStreamsTable;
  device_seq_gaps: DeviceSeqGapsTable;
  device_problems: DeviceProblemsTable;
  consumer_queries: ConsumerQueriesTable;
  epcis_capture_jobs: EpcisCaptureJobsTable;
}

/* Ordering (migration 005_orders). */
export type OrderState = 'draft' | 'submitted' | 'held' | 'approved' | 'allocated' | 'picking' | 'dispatched' | 'delivered' | 'closed' | 'cancelled';
export type OrderPriceLevel = 'first_tier' | 'second_tier' | 'store';
type Money = ColumnType<number, number | string, number | string>;

export interface OrdersTable {
  id: Generated<string>;
  number: Generated<number>;
  buyer_id: string;
  seller_id: string | null;
  price_level: OrderPriceLevel;
  price_region_code: string;
  priced_on: ColumnType<string, string, string>;
  price_rules_from: ColumnType<string, string, string>;
  idempotency_key: string;
  request_hash: string;
  state: OrderState;
  hold_reasons: ColumnType<string[], string[] | undefined, string[]>;
  hold_detail: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
  delivery_region_code: string;
  delivery_address: string;
  currency: ColumnType<string, string | undefined, string>;
  total: Money;
  exposure: ColumnType<number, number | string | undefined, number | string>;
  note: string | null;
  created_by: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface OrderLinesTable {
  order_id: string;
  line_no: number;
  sku_id: string;
  gtin: string;
  quantity: number;
  free_quantity: ColumnType<number, number | undefined, number>;
  unit_price: Money;
  line_total: Money;
  promotion_code: string | null;
  allocated: ColumnType<number, number | undefined, number>;
  dispatched: ColumnType<number, number | undefined, number>;
  received: ColumnType<number, number | undefined, number>;
}

export interface OrderAllocationsTable {
  id: Generated<number>;
  order_id: string;
  line_no: number;
  sku_id: string;
  location_id: string;
  batch: string;
  expiry_date: string | null;
  quantity: number;
  state: ColumnType<'reserved' | 'released' | 'dispatched', 'reserved' | 'released' | 'dispatched' | undefined>;
  reservation_key: string;
  created_at: Timestamp;
}

export interface OrderEventsTable {
  id: Generated<number>;
  order_id: string;
  from_state: OrderState | null;
  to_state: OrderState;
  actor: string;
  at: Timestamp;
  reason: string | null;
  detail: ColumnType<Record<string, unknown> | null, string | null | undefined, string | null>;
}

export interface OrderPromotionsTable {
  id: Generated<number>;
  code: string;
  name: string;
  sku_id: string | null;
  category: SkuCategory | null;
  buy_quantity: number;
  free_quantity: number;
  price_levels: OrderPriceLevel[];
  valid_from: ColumnType<string, string, string>;
  valid_to: ColumnType<string | null, string | null | undefined, string | null>;
  created_by: string;
  created_at: Timestamp;
}

export interface OrderExpiryRulesTable {
  price_level: OrderPriceLevel;
  category: SkuCategory;
  min_days_left: number;
  updated_by: ColumnType<string, string | undefined, string>;
  updated_at: Timestamp;
}

export interface CreditAccountsTable {
  party_id: string;
  credit_limit: ColumnType<number | null, number | string | null, number | string | null>;
  unpaid_invoices: ColumnType<number, number | string | undefined, number | string>;
  invoices_as_of: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
  open_orders: ColumnType<number, number | string | undefined, number | string>;
  updated_by: string;
  updated_at: Timestamp;
}

export interface OrderServingWarehousesTable {
  buyer_id: string;
  warehouse_id: string;
  updated_by: string;
  updated_at: Timestamp;
}

export interface OrderDispatchScansTable {
  order_id: string;
  case_code: string;
  gtin: string;
  batch: string;
  units: number;
  location_id: string | null;
  device: string | null;
  scanned_at: ColumnType<Date, Date | string, Date | string>;
  recorded_at: Timestamp;
}

export interface OrderWebhooksTable {
  id: Generated<string>;
  party_id: string | null;
  url: string;
  secret: string;
  events: string[];
  active: ColumnType<boolean, boolean | undefined, boolean>;
  created_by: string;
  created_at: Timestamp;
}

export interface OrderWebhookDeliveriesTable {
  event_id: number;
  webhook_id: string;
  status: 'pending' | 'delivered' | 'failed';
  attempts: ColumnType<number, number | undefined, number>;
  last_status: number | null;
  last_error: string | null;
  delivered_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface OrderTables {
  orders: OrdersTable;
  order_lines: OrderLinesTable;
  order_allocations: OrderAllocationsTable;
  order_events: OrderEventsTable;
  order_promotions: OrderPromotionsTable;
  order_expiry_rules: OrderExpiryRulesTable;
  credit_accounts: CreditAccountsTable;
  order_serving_warehouses: OrderServingWarehousesTable;
  order_dispatch_scans: OrderDispatchScansTable;
  order_webhooks: OrderWebhooksTable;
  order_webhook_deliveries: OrderWebhookDeliveriesTable;
}
