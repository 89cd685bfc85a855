import { describe, expect, it } from 'vitest';
import { ApiOrderInput } from '#shared/channels/api-order.ts';
import { draftFromDelivery } from '#shared/channels/deliveries.ts';
import { ValidationError } from '#shared/domain/errors.ts';
import { MovementInput } from '#shared/domain/inventory.ts';
import { Sku } from '#shared/domain/order.ts';
import { stockMovements } from '#shared/import/stock-csv.ts';
import { fixture } from '../support/channel-fixtures.ts';

/**
 * Identifiers (SKUs, movement ids, line ids, external order ids) are keys:
 * two strings that look the same, or that DynamoDB would store the same,
 * must not become two records — or one record for two things.
 */
describe('identifiers', () => {
  it.each([
    ['a lone high surrogate', 'LONE\ud800'],
    ['a lone low surrogate', 'LONE\udc00'],
    ['another lone low surrogate', 'LONE\udfff'],
    ['a reversed surrogate pair', 'LONE\udc00\ud800'],
  ])('refuses %s (DynamoDB would store all of them as one SKU)', (_case, sku) => {
    const result = Sku.safeParse(sku);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/well-formed Unicode/)]);
  });

  it.each([
    ['zero-width space', 'MUG\u200b1'],
    ['zero-width non-joiner', 'MUG\u200c1'],
    ['zero-width joiner', 'MUG\u200d1'],
    ['left-to-right mark', 'MUG\u200e1'],
    ['right-to-left mark', 'MUG\u200f1'],
    ['line separator', 'MUG\u20281'],
    ['paragraph separator', 'MUG\u20291'],
    ['right-to-left override', '\u202eMUG-1'],
    ['left-to-right embedding', '\u202aMUG-1'],
    ['word joiner', 'MUG\u20601'],
    ['invisible separator', 'MUG\u20631'],
    ['right-to-left isolate', '\u2067MUG-1'],
    ['pop directional isolate', 'MUG-1\u2069'],
    ['byte order mark', '\ufeffMUG-1'],
    ['soft hyphen', 'MUG\u00ad1'],
    ['Arabic letter mark (another format character)', 'MUG\u061c1'],
    ['no-break space', 'MUG\u00a01'],
    ['ideographic space', 'MUG\u30001'],
    ['a control character', 'MUG\u00071'],
  ])('refuses a %s, so look-alike SKUs cannot exist', (_case, sku) => {
    const result = Sku.safeParse(sku);
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message)).toEqual([expect.stringMatching(/invisible/)]);
  });

  it('normalises to NFC: é composed and decomposed are one SKU', () => {
    const composed = Sku.parse('CAF\u00c9-1');
    const decomposed = Sku.parse('CAFE\u0301-1');
    expect(decomposed).toBe(composed);
    expect(composed).toBe('CAFÉ-1');
    expect(Sku.parse('\u212b')).toBe('\u00c5'); // ANGSTROM SIGN → LATIN CAPITAL LETTER A WITH RING ABOVE
  });

  it('drops spaces at either end, so "MUG-1" and "MUG-1 " are one SKU, and refuses one made of spaces only', () => {
    expect(Sku.parse(' MUG-1  ')).toBe('MUG-1');
    expect(Sku.parse('MUG 1')).toBe('MUG 1');
    expect(Sku.safeParse('   ').success).toBe(false);
  });

  it('keeps the SKUs merchants use: punctuation, spaces, accents, other scripts, emoji', () => {
    for (const sku of ['MUG-CER-350', 'MUG, large', 'Ünïcödé_1/2', '杯子-350', 'كوب-1', '☕ MUG', 'TEE.M.BLK+']) expect(Sku.parse(sku)).toBe(sku);
    expect(Sku.safeParse('A#1').success).toBe(false);
    expect(Sku.safeParse('x'.repeat(101)).success).toBe(false);
  });

  it('applies the same rules to movement ids, naming the field', () => {
    const movement = { type: 'receipt', sku: 'MUG-1', locationId: 'wh-a', quantity: 1 };
    for (const movementId of ['PO-1\ud800', 'PO-1\u200b', '\u202ePO-1']) {
      const result = MovementInput.safeParse({ ...movement, movementId });
      expect(result.success).toBe(false);
      expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual(['movementId']);
    }
    expect(MovementInput.parse({ ...movement, movementId: 'PO-CAFE\u0301-1' }).movementId).toBe('PO-CAFÉ-1');
  });

  it('in a stock file, refuses rows with such SKUs and counts é composed and decomposed as one position', () => {
    const csv = ['sku,location,onHand', 'MUG\u200b1,wh-east,5', 'CAF\u00c9,wh-east,1', 'CAFE\u0301,wh-east,2'].join('\n');
    const { movements, rejected } = stockMovements(csv, { importId: 'x' });
    expect(movements.map((m) => [m.row, m.movement.sku])).toEqual([[3, 'CAFÉ']]);
    expect(rejected.map((r) => [r.row, r.reason])).toEqual([
      [2, expect.stringMatching(/^sku: .*invisible/)],
      [4, 'Same SKU and location as row 3: one count per position'],
    ]);
  });

  it('a channel order with such a SKU fails capture with a ValidationError naming the line, rather than merging SKUs', () => {
    const payload = fixture<{ line_items: Record<string, unknown>[] }>('shopify-orders-create.json');
    (payload.line_items[0] as Record<string, unknown>)['sku'] = 'LONE\ud800';
    const body = JSON.stringify(payload);
    expect(body).toContain('\\ud800'); // as a channel sends it: a JSON escape
    let error: unknown;
    try {
      draftFromDelivery({ channelId: 'shopify-us', channelType: 'shopify', body });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details.map((d) => d.path)).toEqual(['line_items.0.sku']);
  });
});

describe('identifiers in an API order', () => {
  const order = {
    channelId: 'web',
    currency: 'USD',
    lines: [{ sku: 'MUG-1', title: 'Mug', quantity: 1, unitPrice: 100 }],
    fulfillment: { type: 'pickup', locationId: 'store-1' },
    payment: { state: 'paid' },
  };
  it.each([
    ['a line id with a zero-width space', { lines: [{ ...order.lines[0], lineId: 'L\u200b1' }] }, 'lines.0.lineId'],
    ['a channel id that is not a channel id', { channelId: 'Web Store' }, 'channelId'],
    ['a store id with a right-to-left override', { fulfillment: { type: 'pickup', locationId: '\u202estore-1' } }, 'fulfillment.locationId'],
  ])('refuses %s, naming the field', (_case, change, path) => {
    const result = ApiOrderInput.safeParse({ ...order, ...change });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.path.join('.'))).toEqual([path]);
  });
});
