import { z } from 'zod';
import { type AnyRoute, defineRoute } from '../platform/http/route';
import { paging, regionCode, text } from '../platform/http/schemas';
import { calendarDate, gtin14 } from '../region-control/schemas';
import { PRICE_LEVELS, priceRulesSchema } from './rules';
import type { PricingService } from './service';

const read = { roles: ['hq', 'dealer', 'store'], scope: 'pricing:read' } as const;
const write = { roles: ['hq'], scope: 'pricing:write' } as const;
const today = () => new Date().toISOString().slice(0, 10);
/** A price in yuan: positive, at most two decimals, below an absurd ceiling. */
const price = z.number().positive('must be positive').max(1_000_000, 'is absurd (over ¥1,000,000)').refine((n) => Math.round(n * 100) === n * 100 || Math.abs(Math.round(n * 100) - n * 100) < 1e-6, 'must have at most two decimals');

export function pricingRoutes({ pricing }: { pricing: PricingService }): AnyRoute[] {
  return [
    defineRoute({
      method: 'get',
      path: '/api/v1/price-rules',
      summary: 'The price rule set in force on a date (default today)',
      tags: ['pricing'],
      access: read,
      query: z.strictObject({ date: calendarDate.optional() }),
      async handler({ query }) {
        const r = await pricing.rulesAt(query.date ?? today());
        if (!r) return { effective_from: null, rules: null };
        return r;
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/price-rules',
      summary: 'Add a price rule set taking effect on a date (HQ)',
      tags: ['pricing'],
      access: write,
      body: z.strictObject({ effective_from: calendarDate, rules: priceRulesSchema, note: text(500).optional() }),
      status: 201,
      async handler({ body, principal }) {
        return pricing.setRules(body.effective_from, body.rules, body.note, principal.name);
      },
    }),
    defineRoute({
      method: 'put',
      path: '/api/v1/base-prices',
      summary: 'Set base prices per SKU (GTIN) taking effect on a date (HQ)',
      tags: ['pricing'],
      access: write,
      body: z.strictObject({ effective_from: calendarDate, prices: z.array(z.strictObject({ gtin: gtin14, price })).min(1).max(5000) }),
      async handler({ body, principal }) {
        return pricing.setBasePrices(body.effective_from, body.prices, principal.name);
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/price-tables/:region',
      summary: "A region's price table on a date: each SKU's retail and channel prices, generated from the rules, with overrides",
      tags: ['pricing'],
      access: read,
      params: z.object({ region: regionCode }),
      query: z.strictObject({ date: calendarDate.optional(), category: z.enum(['formula', 'diapers', 'wipes', 'baby_food', 'cots', 'bags']).optional(), ...paging }),
      async handler({ params, query }) {
        return pricing.table(params.region, query.date ?? today(), { limit: query.limit, offset: query.offset, category: query.category });
      },
    }),
    defineRoute({
      method: 'post',
      path: '/api/v1/price-overrides',
      summary: 'Override (or, with price null, lift the override of) one SKU price in one region (HQ); audited',
      tags: ['pricing'],
      access: write,
      body: z.strictObject({
        region_code: regionCode,
        gtin: gtin14,
        level: z.enum(PRICE_LEVELS as [string, ...string[]]),
        effective_from: calendarDate,
        price: price.nullable(),
        reason: text(500),
      }),
      status: 201,
      async handler({ body, principal }) {
        return pricing.override(
          { regionCode: body.region_code, gtin: body.gtin, level: body.level as (typeof PRICE_LEVELS)[number], effectiveFrom: body.effective_from, price: body.price, reason: body.reason },
          principal.name,
        );
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/price-overrides',
      summary: 'The audit trail of regional overrides, newest first',
      tags: ['pricing'],
      access: read,
      query: z.strictObject({ region: regionCode.optional(), gtin: gtin14.optional(), ...paging }),
      async handler({ query }) {
        return { items: await pricing.overrideHistory({ regionCode: query.region, gtin: query.gtin, limit: query.limit, offset: query.offset }), limit: query.limit, offset: query.offset };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/api/v1/price-checks',
      summary: 'Margins outside target ± band and regional price differences above the limit, on a date (HQ)',
      tags: ['pricing'],
      access: { roles: ['hq'], scope: 'pricing:read' },
      query: z.strictObject({ date: calendarDate.optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) }),
      async handler({ query }) {
        return pricing.checks(query.date ?? today(), query.limit);
      },
    }),
  ];
}
