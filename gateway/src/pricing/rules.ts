import { z } from 'zod';
import type { Region } from '../platform/db/schema';
import type { RegionService } from '../regions/service';

export const REGION_TIERS = ['tier1_city', 'city', 'county'] as const;
export type RegionTier = (typeof REGION_TIERS)[number];
export const CHANNEL_LEVELS = ['first_tier', 'second_tier', 'store'] as const;
export type ChannelLevel = (typeof CHANNEL_LEVELS)[number];
export type PriceLevel = 'retail' | ChannelLevel;
export const PRICE_LEVELS: readonly PriceLevel[] = ['retail', ...CHANNEL_LEVELS];

const fraction = (min: number, max: number) => z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`);

/**
 * A price rule set: the regional retail price is the SKU's base price × (1 + the region tier's markup); each channel
 * level buys at that retail price less its discount. A dealer's margin is what it earns between its purchase price
 * and the next level's. Bounds keep every generated price positive and within 0.1×–4× of base.
 */
export const priceRulesSchema = z
  .strictObject({
    /** Cities priced as tier-1 (their districts; their counties are priced as counties). */
    tier1_cities: z.array(z.string().regex(/^\d{6}$/, 'must be a six-digit GB/T 2260 code')).max(50).default(['110000', '310000', '440100', '440300']),
    region_markups: z.strictObject({ tier1_city: fraction(-0.5, 1), city: fraction(-0.5, 1), county: fraction(-0.5, 1) }),
    channel_discounts: z.strictObject({ first_tier: fraction(0, 0.8), second_tier: fraction(0, 0.8), store: fraction(0, 0.8) }),
    /** Each level's intended margin; the margin check reports where a resulting margin leaves target ± band. */
    target_margins: z.strictObject({ first_tier: fraction(0, 0.8), second_tier: fraction(0, 0.8), store: fraction(0, 0.8) }),
    margin_band: fraction(0, 0.5).default(0.05),
    max_regional_difference: fraction(0, 1).default(0.08),
  })
  .superRefine((r, ctx) => {
    // Upstream levels buy cheaper than downstream ones, or some dealer sells at a loss by construction.
    if (!(r.channel_discounts.first_tier >= r.channel_discounts.second_tier && r.channel_discounts.second_tier >= r.channel_discounts.store)) {
      ctx.addIssue({ code: 'custom', path: ['channel_discounts'], message: 'must not increase down the channel (first_tier >= second_tier >= store), or a level buys dearer than it sells' });
    }
  });
export type PriceRules = z.output<typeof priceRulesSchema>;

/** Tier of a place for pricing: districts of the listed tier-1 cities, other urban districts and cities, counties. */
export function regionTier(regions: RegionService, code: string, rules: Pick<PriceRules, 'tier1_cities'>): RegionTier {
  const lineage: Region[] = regions.lineage(code);
  const self = lineage[0];
  if (!self) return 'county';
  const inTier1 = lineage.some((r) => rules.tier1_cities.includes(r.code));
  const urban = self.level !== 'county' || /区$/.test(self.name);
  if (inTier1 && urban) return 'tier1_city';
  return urban ? 'city' : 'county';
}

const round2 = (n: number) => Math.round(n * 100) / 100;

/** The generated price of one level in one tier, from a base price. */
export function generatedPrice(rules: PriceRules, base: number, tier: RegionTier, level: PriceLevel): number {
  const retail = base * (1 + rules.region_markups[tier]);
  return round2(level === 'retail' ? retail : retail * (1 - rules.channel_discounts[level]));
}

/** Margins each level earns, from its purchase price to what the next level (or the consumer) pays. */
export function margins(prices: Record<PriceLevel, number>): Record<ChannelLevel, number> {
  const m = (buy: number, sell: number) => (sell > 0 ? (sell - buy) / sell : -1);
  return {
    first_tier: m(prices.first_tier, prices.second_tier),
    second_tier: m(prices.second_tier, prices.store),
    store: m(prices.store, prices.retail),
  };
}
