import * as z from 'zod';
import { Timestamp, Versioned } from './common.ts';
import { Slug } from './ids.ts';
import type { StockPosition } from './inventory.ts';

/**
 * A listing says that a channel sells a SKU, and where the channel keeps its
 * stock figure: the identifiers its API needs to set the quantity. The OMS
 * pushes the SKU's available-to-sell figure to every active listing, and
 * keeps per listing what it last pushed and whether that worked.
 */

const active = z.boolean().default(true).meta({ description: 'Inactive listings keep their configuration but receive no pushes.' });
const ChannelSku = z
  .string()
  .min(1)
  .max(200)
  .optional()
  .meta({ description: 'The SKU as the channel knows it, when it differs from the OMS SKU.' });

export const ListingInput = z
  .discriminatedUnion('type', [
    z.strictObject({
      type: z.literal('shopify'),
      active,
      inventoryItemId: z
        .string()
        .regex(/^(gid:\/\/shopify\/InventoryItem\/)?\d+$/, 'Use the variant\'s inventory item id, e.g. "gid://shopify/InventoryItem/456"')
        .meta({ description: 'The inventory item of the Shopify variant.' }),
    }),
    z.strictObject({
      type: z.literal('woocommerce'),
      active,
      productId: z.number().int().min(1),
      variationId: z.number().int().min(1).optional().meta({ description: 'For a variable product: the variation that has this SKU.' }),
    }),
    z.strictObject({
      type: z.literal('amazon'),
      active,
      channelSku: ChannelSku,
      productType: z
        .string()
        .regex(/^[A-Z0-9_]{1,100}$/)
        .default('PRODUCT')
        .meta({ description: 'The Amazon product type of the listing (the Listings Items API requires it on a patch).' }),
    }),
    z.strictObject({ type: z.literal('ebay'), active, channelSku: ChannelSku }),
  ])
  .meta({ id: 'ListingInput', description: 'How the channel identifies the SKU; the shape depends on the channel\'s type.' });
export type ListingInput = z.infer<typeof ListingInput>;

export const PushStatus = z.enum(['pending', 'in_sync', 'failing']);
export type PushStatus = z.infer<typeof PushStatus>;

export const PushState = z
  .object({
    status: PushStatus.meta({
      description: '`pending`: not pushed yet (or a push is due); `in_sync`: the channel shows `pushed`; `failing`: the last push failed (see `lastError`).',
    }),
    pushed: z.number().int().min(0).optional().meta({ description: 'The figure the channel accepted last.' }),
    pushedAt: Timestamp.optional(),
    lastAttemptAt: Timestamp.optional(),
    lastError: z.string().optional(),
    failures: z.number().int().min(0).meta({ description: 'Consecutive failed pushes.' }),
  })
  .meta({ id: 'PushState' });
export type PushState = z.infer<typeof PushState>;

export const Listing = z
  .object({
    channelId: Slug,
    sku: z.string().meta({ description: 'The OMS SKU, as stored (listings are created under SKUs that follow the identifier rules; older ones are read back unchanged).' }),
    active: z.boolean(),
    ref: z.record(z.string(), z.unknown()).meta({ description: 'The channel identifiers (type-specific, as sent in the PUT).' }),
    type: z.enum(['shopify', 'woocommerce', 'amazon', 'ebay']),
    ...Versioned,
  })
  .meta({ id: 'Listing' });
export type Listing = z.infer<typeof Listing>;

export const ListingView = Listing.extend({
  push: PushState.meta({ description: 'The last available-to-sell push to the channel.' }),
}).meta({ id: 'ListingView' });
export type ListingView = z.infer<typeof ListingView>;

export const NEVER_PUSHED: PushState = { status: 'pending', failures: 0 };

/**
 * The figure a channel should show: what is available at the locations
 * that serve it (all shards; a negative position counts as zero), less the
 * units held back from it. Never negative.
 */
export function availableToSell(positions: readonly StockPosition[], serves: (locationId: string) => boolean, buffer: number): number {
  const available = positions.filter((p) => serves(p.locationId)).reduce((sum, p) => sum + Math.max(0, p.available), 0);
  return Math.max(0, available - buffer);
}

/** A channel did not take a figure. `retryable`: worth trying again (throttling, outage), otherwise it needs a person (bad ids, credentials). */
export class PushError extends Error {
  readonly retryable: boolean;
  constructor(message: string, retryable: boolean) {
    super(message);
    this.name = 'PushError';
    this.retryable = retryable;
  }
}
