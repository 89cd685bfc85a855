import * as z from 'zod';
import { Versioned, distinct, type Change } from './common.ts';
import { canonicalJson } from './canonical-json.ts';
import { Slug } from './ids.ts';
import { ConflictError, ValidationError, type ErrorDetail } from './errors.ts';

/**
 * A sales channel: where orders come from and where available-to-sell goes.
 * Settings are public configuration; secrets (webhook secrets, API
 * credentials) are write-only: accepted on PUT, stored apart from the
 * channel, never returned, never logged. A channel's type never changes.
 */

export const ChannelId = Slug.meta({ description: 'Channel id chosen by the merchant.', example: 'shopify-us' });

export const ChannelType = z.enum(['shopify', 'woocommerce', 'amazon', 'ebay', 'pos', 'web']);
export type ChannelType = z.infer<typeof ChannelType>;

const HttpUrl = z.url({ protocol: /^https?$/ }).meta({ description: 'Base URL (configurable so tests can use a local fake).' });
const SecretValue = z.string().min(1).max(4096);
/** The shortest signing secret the OMS verifies webhooks with: a short HMAC key can be guessed offline from one captured delivery. */
export const MIN_SIGNING_SECRET_LENGTH = 32;
/** Secrets that sign the deliveries the OMS receives (HMAC keys), held to MIN_SIGNING_SECRET_LENGTH. */
const SIGNING_SECRETS: readonly string[] = ['webhookSecret'];
const SigningSecret = z
  .string()
  .min(MIN_SIGNING_SECRET_LENGTH, `A signing secret must be at least ${MIN_SIGNING_SECRET_LENGTH} characters`)
  .max(4096);
const PollInterval = z.number().int().min(1).max(1440).meta({ description: 'Minutes between scheduled polls.' });
/** Which stock a channel is offered, and how much is held back from it (available-to-sell pushes). */
const stockSync = {
  stockLocationIds: distinct(Slug)
    .min(1)
    .max(100)
    .optional()
    .meta({ description: 'Locations whose stock this channel sells; default: every active location that can `ship`.' }),
  stockBuffer: z
    .number()
    .int()
    .min(0)
    .max(1_000_000)
    .optional()
    .meta({ description: 'Units of every SKU held back from this channel (added to the SKU policy\'s buffer for it).' }),
};

/** Write-back: what the OMS tells the channel about its orders (docs/channels.md). */
const writeBack = {
  writeBack: z
    .boolean()
    .default(true)
    .meta({
      description:
        "Tell the channel when its orders ship (per shipment, with tracking), are cancelled in the OMS, or are refunded at the channel. Needs the channel's API credentials (Shopify `adminAccessToken`, WooCommerce `consumerKey`/`consumerSecret`); without them nothing is sent. `false`: the channel is never told.",
    }),
};

const PollFrom = z.iso
  .datetime()
  .optional()
  .meta({ description: 'Where the first poll starts reading changed orders (a backfill); default: a day before the channel was created.' });

/** Per type: settings (public) and the secrets it needs. `required` secrets must be present once the channel exists. */
const channelTypes = {
  shopify: {
    settings: z.strictObject({
      shopDomain: z
        .string()
        .regex(/^[a-z0-9][a-z0-9-]*\.myshopify\.com$/, 'Use the shop\'s myshopify.com domain, e.g. "acme.myshopify.com"'),
      apiVersion: z.string().regex(/^\d{4}-\d{2}$/).default('2026-10'),
      adminUrl: HttpUrl.optional().meta({ description: 'Admin API base URL; default `https://<shopDomain>`. For tests against a local fake.' }),
      inventoryLocationId: z
        .string()
        .regex(/^(gid:\/\/shopify\/Location\/)?\d+$/, 'Use the Shopify location id, e.g. "gid://shopify/Location/123"')
        .optional()
        .meta({ description: 'The Shopify location whose available quantity the OMS sets (needs the `adminAccessToken` secret).' }),
      notifyCustomer: z.boolean().default(true).meta({ description: 'Shopify sends its own shipping e-mail when the OMS confirms a shipment (`fulfillmentCreate` notifyCustomer).' }),
      ...stockSync,
      ...writeBack,
    }),
    secrets: { webhookSecret: 'required', adminAccessToken: 'optional' },
  },
  woocommerce: {
    settings: z.strictObject({ storeUrl: HttpUrl, ...stockSync, ...writeBack }),
    secrets: { webhookSecret: 'required', consumerKey: 'optional', consumerSecret: 'optional' },
  },
  amazon: {
    settings: z.strictObject({
      marketplaceIds: distinct(z.string().regex(/^[A-Z0-9]{10,14}$/)).min(1),
      endpoint: HttpUrl.default('https://sellingpartnerapi-na.amazon.com'),
      tokenUrl: HttpUrl.default('https://api.amazon.com/auth/o2/token'),
      clientId: z.string().min(1).max(256),
      pollIntervalMinutes: PollInterval.default(5),
      pollFrom: PollFrom,
      sellerId: z
        .string()
        .regex(/^[A-Z0-9]{8,20}$/)
        .optional()
        .meta({ description: 'Merchant token (seller id): needed to set listing quantities through the Listings Items API.' }),
      ...stockSync,
      ...writeBack,
    }),
    secrets: { clientSecret: 'required', refreshToken: 'required' },
  },
  ebay: {
    settings: z.strictObject({
      endpoint: HttpUrl.default('https://api.ebay.com'),
      tokenUrl: HttpUrl.default('https://api.ebay.com/identity/v1/oauth2/token'),
      clientId: z.string().min(1).max(256),
      pollIntervalMinutes: PollInterval.default(5),
      pollFrom: PollFrom,
      ...stockSync,
      ...writeBack,
    }),
    secrets: { clientSecret: 'required', refreshToken: 'required' },
  },
  pos: {
    settings: z.strictObject({
      storeLocationId: Slug.optional().meta({ description: 'The store location the till sells from.' }),
    }),
    secrets: {},
  },
  web: {
    settings: z.strictObject({ siteUrl: HttpUrl.optional() }),
    secrets: {},
  },
} as const satisfies Record<ChannelType, { settings: z.ZodType; secrets: Record<string, 'required' | 'optional'> }>;

/** Settings schemas per type, for the clients that call the channel. */
export const AmazonChannelSettings = channelTypes.amazon.settings;
export const EbayChannelSettings = channelTypes.ebay.settings;
export const ShopifyChannelSettings = channelTypes.shopify.settings;
export const WooChannelSettings = channelTypes.woocommerce.settings;

/** Channel types the OMS pushes available-to-sell figures to. */
export const STOCK_SYNC_TYPES = ['shopify', 'woocommerce', 'amazon', 'ebay'] as const;

/** The stock-sync settings of a channel (empty for channels without them). */
export function stockSyncSettings(channel: Channel): { stockLocationIds?: string[] | undefined; stockBuffer: number } {
  const parsed = z.object(stockSync).safeParse(channel.settings);
  return parsed.success ? { stockLocationIds: parsed.data.stockLocationIds, stockBuffer: parsed.data.stockBuffer ?? 0 } : { stockBuffer: 0 };
}

function inputFor<T extends ChannelType>(type: T) {
  const spec = channelTypes[type];
  const secretShape = Object.fromEntries(
    Object.keys(spec.secrets).map((name) => [name, (SIGNING_SECRETS.includes(name) ? SigningSecret : SecretValue).nullable().optional()]),
  ) as Record<keyof (typeof spec)['secrets'] & string, z.ZodOptional<z.ZodNullable<typeof SecretValue>>>;
  return z.strictObject({
    type: z.literal(type),
    name: z.string().trim().min(1).max(200),
    active: z.boolean().default(true),
    settings: spec.settings,
    secrets: z
      .strictObject(secretShape)
      .optional()
      .meta({
        description:
          'Write-only. Omitted secrets keep their stored value; `null` removes an optional secret. Never returned.',
      }),
  });
}

export const ChannelInput = z
  .discriminatedUnion('type', [
    inputFor('shopify'),
    inputFor('woocommerce'),
    inputFor('amazon'),
    inputFor('ebay'),
    inputFor('pos'),
    inputFor('web'),
  ])
  .meta({ id: 'ChannelInput', description: 'The desired state of a channel; the shape of `settings` and `secrets` depends on `type`.' });
export type ChannelInput = z.infer<typeof ChannelInput>;

export type ChannelSecrets = Record<string, string>;

export const Channel = z
  .object({
    channelId: ChannelId,
    type: ChannelType,
    name: z.string(),
    active: z.boolean(),
    settings: z.record(z.string(), z.unknown()).meta({ description: 'Type-specific public settings.' }),
    secretsConfigured: z
      .array(z.string())
      .meta({ description: 'Names of the secrets that are set. Their values are never returned.' }),
    ...Versioned,
  })
  .meta({ id: 'Channel' });
export type Channel = z.infer<typeof Channel>;

/** Secret names a channel type accepts, and which of them must be set. */
export function secretSpec(type: ChannelType): Record<string, 'required' | 'optional'> {
  return channelTypes[type].secrets;
}

/**
 * The channel and secrets a PUT leads to. Pure. Secrets merge into the stored
 * ones (omitted = keep, null = remove), so updating a channel's name never
 * needs its credentials again. `secrets` is undefined when they do not change.
 */
export function applyChannelInput(
  existing: { channel: Channel; secrets: ChannelSecrets } | undefined,
  channelId: string,
  input: ChannelInput,
  now: Date,
): { channel: Channel; secrets: ChannelSecrets | undefined; change: Change } {
  if (existing && existing.channel.type !== input.type) {
    throw new ConflictError(
      `Channel ${channelId} is a ${existing.channel.type} channel; its type cannot change to ${input.type}. Create a new channel instead.`,
      'immutable_field',
      [{ in: 'body', path: 'type', message: `Must stay "${existing.channel.type}"` }],
    );
  }
  const spec = secretSpec(input.type);
  const merged = new Map(Object.entries(existing?.secrets ?? {}));
  const problems: ErrorDetail[] = [];
  for (const [name, value] of Object.entries(input.secrets ?? {})) {
    if (value === null) {
      if (spec[name] === 'required') {
        problems.push({ in: 'body', path: `secrets.${name}`, message: 'This secret is required and cannot be removed' });
      }
      merged.delete(name);
    } else if (value !== undefined) {
      merged.set(name, value);
    }
  }
  for (const [name, need] of Object.entries(spec)) {
    if (need === 'required' && !merged.has(name) && !problems.some((p) => p.path === `secrets.${name}`)) {
      problems.push({ in: 'body', path: `secrets.${name}`, message: `A ${input.type} channel needs this secret`, code: 'required' });
    }
  }
  if (problems.length > 0) throw new ValidationError('The channel is missing required secrets', problems);

  const secrets: ChannelSecrets = Object.fromEntries(merged);
  const secretsChanged = canonicalJson(secrets) !== canonicalJson(existing?.secrets ?? {});
  const desired = {
    type: input.type,
    name: input.name,
    active: input.active,
    settings: input.settings as Record<string, unknown>,
    secretsConfigured: Object.keys(secrets).sort(),
  };
  if (!existing) {
    const at = now.toISOString();
    return {
      channel: { channelId, ...desired, version: 1, createdAt: at, updatedAt: at },
      secrets,
      change: 'created',
    };
  }
  const { channelId: _id, version: _v, createdAt: _c, updatedAt: _u, ...current } = existing.channel;
  if (!secretsChanged && canonicalJson(current) === canonicalJson(desired)) {
    return { channel: existing.channel, secrets: undefined, change: 'unchanged' };
  }
  return {
    channel: { ...existing.channel, ...desired, version: existing.channel.version + 1, updatedAt: now.toISOString() },
    secrets: secretsChanged ? secrets : undefined,
    change: 'updated',
  };
}
