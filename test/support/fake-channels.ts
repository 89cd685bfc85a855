import { serve, type FakeMarketplace } from './fake-marketplaces.ts';

/**
 * Fakes of the storefront stock APIs, on loopback. Each checks what the real
 * one checks (credentials, required fields) and records the figures it takes.
 */

/** Shopify Admin GraphQL: `inventorySetQuantities` as of API 2026-04 (idempotency key and changeFromQuantity required). */
export async function fakeShopifyAdmin(options: { accessToken: string; locationId: string; inventoryItems: string[] }): Promise<FakeMarketplace> {
  return serve((request, url, body, stockUpdates) => {
    if (!/^\/admin\/api\/\d{4}-\d{2}\/graphql\.json$/.test(url.pathname) || request.method !== 'POST') return { status: 404, body: { errors: 'Not Found' } };
    if (request.headers['x-shopify-access-token'] !== options.accessToken) return { status: 401, body: { errors: '[API] Invalid API key or access token (unrecognized login or wrong password)' } };
    const { query, variables } = JSON.parse(body) as {
      query: string;
      variables: { key?: string; input?: { name?: string; reason?: string; quantities?: { inventoryItemId: string; locationId: string; quantity: number; changeFromQuantity?: number | null }[] } };
    };
    if (!query.includes('inventorySetQuantities') || !/@idempotent\(key: \$key\)/.test(query) || !variables.key) {
      return { status: 200, body: { errors: [{ message: 'The @idempotent directive is required for this mutation', extensions: { code: 'BAD_REQUEST' } }] } };
    }
    const userErrors = [];
    for (const q of variables.input?.quantities ?? []) {
      if (variables.input?.name !== 'available') userErrors.push({ field: ['input', 'name'], message: 'Name must be available or on_hand', code: 'INVALID_NAME' });
      else if (!('changeFromQuantity' in q)) userErrors.push({ field: ['input', 'quantities', '0', 'changeFromQuantity'], message: 'changeFromQuantity is required', code: 'CHANGE_FROM_QUANTITY_REQUIRED' });
      else if (q.locationId !== options.locationId) userErrors.push({ field: ['input', 'quantities', '0', 'locationId'], message: 'The specified location could not be found.', code: 'INVALID_LOCATION' });
      else if (!options.inventoryItems.includes(q.inventoryItemId)) userErrors.push({ field: ['input', 'quantities', '0', 'inventoryItemId'], message: 'The specified inventory item could not be found.', code: 'INVALID_INVENTORY_ITEM' });
      else if (!Number.isInteger(q.quantity) || q.quantity < 0) userErrors.push({ field: ['input', 'quantities', '0', 'quantity'], message: 'Invalid quantity', code: 'INVALID_QUANTITY_NEGATIVE' });
      else stockUpdates.push({ key: q.inventoryItemId, quantity: q.quantity });
    }
    return {
      status: 200,
      body: { data: { inventorySetQuantities: { inventoryAdjustmentGroup: userErrors.length ? null : { id: `gid://shopify/InventoryAdjustmentGroup/${stockUpdates.length}` }, userErrors } } },
    };
  });
}

/** WooCommerce REST v3: products and variations by id, basic auth with the consumer key and secret. */
export async function fakeWooCommerce(options: { consumerKey: string; consumerSecret: string; products: Record<number, number[]> }): Promise<FakeMarketplace> {
  const expected = `Basic ${Buffer.from(`${options.consumerKey}:${options.consumerSecret}`).toString('base64')}`;
  return serve((request, url, body, stockUpdates) => {
    if (request.headers['authorization'] !== expected) return { status: 401, body: { code: 'woocommerce_rest_cannot_edit', message: 'Sorry, you are not allowed to edit this resource.', data: { status: 401 } } };
    const match = /^\/wp-json\/wc\/v3\/products\/(\d+)(?:\/variations\/(\d+))?$/.exec(url.pathname);
    const productId = Number(match?.[1]);
    const variationId = match?.[2] === undefined ? undefined : Number(match[2]);
    const known = options.products[productId];
    if (!match || request.method !== 'PUT' || !known || (variationId !== undefined && !known.includes(variationId))) {
      return { status: 404, body: { code: 'woocommerce_rest_product_invalid_id', message: 'Invalid ID.', data: { status: 404 } } };
    }
    const update = JSON.parse(body) as { manage_stock?: boolean; stock_quantity?: number };
    if (update.manage_stock !== true || !Number.isInteger(update.stock_quantity)) {
      return { status: 400, body: { code: 'rest_invalid_param', message: 'Invalid parameter(s): stock_quantity', data: { status: 400 } } };
    }
    const key = variationId === undefined ? String(productId) : `${productId}/${variationId}`;
    stockUpdates.push({ key, quantity: Number(update.stock_quantity) });
    return { status: 200, body: { id: variationId ?? productId, manage_stock: true, stock_quantity: update.stock_quantity, stock_status: Number(update.stock_quantity) > 0 ? 'instock' : 'outofstock' } };
  });
}
