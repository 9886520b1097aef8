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
} as const;

export type Scope = keyof typeof SCOPES;

export const ROLE_SCOPES: Record<Role, readonly Scope[]> = {
  hq: Object.keys(SCOPES) as Scope[],
  dealer: ['masterdata:read'],
  store: ['masterdata:read', 'members:read', 'members:write'],
};

export const isScope = (s: string): s is Scope => s in SCOPES;
