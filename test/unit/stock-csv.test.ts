import { describe, expect, it } from 'vitest';
import { parseCsv, rejectedCsv, stockMovements } from '#shared/import/stock-csv.ts';

describe('parseCsv', () => {
  it('reads quoted fields with commas, doubled quotes and line breaks, CRLF or LF, and ignores a BOM', () => {
    expect(parseCsv('\uFEFFa,b,c\r\n"x, y","say ""hi""","two\nlines"\nlast,,\n')).toEqual([
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', 'two\nlines'],
      ['last', '', ''],
    ]);
    expect(parseCsv('no,final,newline')).toEqual([['no', 'final', 'newline']]);
  });
});

describe('stockMovements', () => {
  it('turns each row into a cycle count with a movement id per import and row, whatever the column order and names', () => {
    const { movements, rejected } = stockMovements('Location,SKU,on_hand\nwh-east,MUG-1,12\n\nwh-west,"MUG, large",0\n', { importId: 'abc', reason: 'first load' });
    expect(rejected).toEqual([]);
    expect(movements).toEqual([
      { row: 2, movement: { type: 'cycle_count', movementId: 'import:abc:2', sku: 'MUG-1', locationId: 'wh-east', onHand: 12, reference: 'import abc row 2', reason: 'first load' } },
      { row: 4, movement: { type: 'cycle_count', movementId: 'import:abc:4', sku: 'MUG, large', locationId: 'wh-west', onHand: 0, reference: 'import abc row 4', reason: 'first load' } },
    ]);
  });

  it('rejects each bad row with its line number and why, and keeps the good ones', () => {
    const csv = ['sku,location,onHand', 'A,wh-east,5', 'B,wh-east,-1', 'C,wh-east,2.5', 'D,WH East,1', 'E#1,wh-east,1', ',wh-east,1', 'A,wh-east,7', 'F,wh-east,'].join('\n');
    const { movements, rejected } = stockMovements(csv, { importId: 'x' });
    expect(movements.map((m) => m.row)).toEqual([2]);
    expect(rejected.map((r) => [r.row, r.reason.split(':')[0]])).toEqual([
      [3, 'On hand must be a whole number ≥ 0, not "-1"'],
      [4, 'On hand must be a whole number ≥ 0, not "2.5"'],
      [5, 'locationId'],
      [6, 'sku'],
      [7, 'sku'],
      [8, 'Same SKU and location as row 2'],
      [9, 'On hand must be a whole number ≥ 0, not ""'],
    ]);
  });

  it('refuses a file whose header does not name the columns', () => {
    expect(() => stockMovements('MUG-1,wh-east,3\n', { importId: 'x' })).toThrow(/missing: sku, location, onHand/);
  });

  it('writes rejected rows as CSV that quotes what needs quoting', () => {
    expect(rejectedCsv([{ row: 3, sku: 'A,1', locationId: 'wh', reason: 'bad "thing"' }])).toBe('row,sku,location,reason\n3,"A,1",wh,"bad ""thing"""\n');
  });
});
