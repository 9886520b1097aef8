import type { Role } from '../platform/http/route';

/**
 * Scopes name what a caller may do. Users hold all scopes of their role; an API key holds those it was
 * issued, never more than its role allows.
 */
export const SCOPES = {
  'masterdata:read': 'Read regions, SKUs, parties, devices',
  'masterdata:write': 'Create and change master data',
  'members:read': 'Read member (consumer household) data',
  'members:write': 'Register members',
  'identity:admin': 'Manage users and API keys',
  'authorisations:read': "Read dealers' authorised regions",
  'authorisations:write': 'Grant and end authorised regions',
  'holds:read': 'Read cross-region holds',
  'holds:write': 'Check delivery addresses, place and decide cross-region holds',
  'pricing:read': 'Read regional price tables',
  'pricing:write': 'Set price rules, base prices and regional overrides',
  'alerts:read': 'Read diversion, clone and counterfeit alerts',
  'alerts:write': 'Work alerts, diversion rules, quiet lists and webhooks',
  'scans:submit': 'Submit downstream scans for diversion and clone checks',
  'stock:read': 'Read network stock, movements, reconciliations and expiry warnings',
  'stock:write': 'Record stock movements and snapshots, set expiry thresholds',
  'connectors:push': 'Push webhooks from source systems (WMS, MES) into the connectors',
  'connectors:admin': 'Inspect connectors, their dead letters and health; replay dead letters',
  'trace:read': 'Query EPCIS events, code traces, batches, anomalies and device streams (dealers: goods shipped to them)',
  'trace:write': 'Capture EPCIS events, record batches, QC reports and dispatch bindings, release batches',
  'codes:issue': 'Issue serial codes and SSCCs and download their print files',
  'orders:read': 'Read orders (dealers and stores: those they placed or that were placed with them), export them as CSV',
  'orders:write': 'Place, submit and cancel orders; record dispatch scans and receipts',
  'orders:approve': 'Approve held orders and allocate stock (HQ; dealers for orders placed with them); HQ overrides credit',
  'credit:read': 'Read credit limits and exposure',
  'credit:write': 'Set credit limits, unpaid invoices, serving warehouses, promotions and order webhooks',
} as const;

export type Scope = keyof typeof SCOPES;

export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  hq: Object.keys(SCOPES) as Scope[],
  dealer: ['masterdata:read', 'authorisations:read', 'holds:read', 'pricing:read', 'alerts:read', 'stock:read', 'trace:read', 'orders:read', 'orders:write', 'orders:approve', 'credit:read'],
  store: ['masterdata:read', 'members:read', 'members:write', 'pricing:read', 'stock:read', 'orders:read', 'orders:write', 'credit:read'],
};

export const isScope = (s: string): s is Scope => s in SCOPES;
