import { MovementInput } from '#shared/domain/inventory.ts';

/**
 * A stock file (sku, location, on hand) turned into cycle-count movements,
 * the same movements `POST /v1/inventory/movements` takes. Pure: the CLI
 * (scripts/import-stock.ts) reads the file and sends the batches.
 *
 * Each row's movement id is `import:<importId>:<row>`, so sending a file
 * again (after a crash, or by mistake) applies nothing twice — and another
 * file sent under the same import id is refused row by row
 * (`movement_id_reused`), never taken for a repeat and dropped.
 */

export interface StockRow {
  /** 1-based line number in the file (the header is line 1). */
  row: number;
  movement: MovementInput;
}

export interface RejectedRow {
  row: number;
  sku?: string | undefined;
  locationId?: string | undefined;
  reason: string;
}

const COLUMNS = {
  sku: ['sku'],
  location: ['location', 'locationid', 'location_id'],
  onHand: ['onhand', 'on_hand', 'quantity', 'qty'],
} as const;

/** RFC 4180 CSV: quoted fields may hold commas, quotes ("") and line breaks; CRLF or LF; a UTF-8 BOM is ignored. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0;
  for (; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"' && field === '') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

/**
 * The movements of a stock file, and the rows that cannot become one (with
 * why). The header names the columns, in any order: `sku`, `location`
 * (or `locationId`), `onHand` (or `on_hand`, `quantity`).
 */
export function stockMovements(text: string, options: { importId: string; reason?: string | undefined }): { movements: StockRow[]; rejected: RejectedRow[] } {
  const [header, ...lines] = parseCsv(text);
  const names = (header ?? []).map((h) => h.trim().toLowerCase());
  const column = (aliases: readonly string[]) => names.findIndex((name) => aliases.includes(name));
  const at = { sku: column(COLUMNS.sku), location: column(COLUMNS.location), onHand: column(COLUMNS.onHand) };
  const missing = Object.entries(at).filter(([, index]) => index < 0).map(([name]) => name);
  if (missing.length > 0) {
    throw new Error(`The first line must name the columns; missing: ${missing.join(', ')} (found: ${names.join(', ') || 'nothing'})`);
  }

  const movements: StockRow[] = [];
  const rejected: RejectedRow[] = [];
  const seen = new Map<string, number>();
  lines.forEach((cells, index) => {
    const row = index + 2;
    if (cells.every((cell) => cell.trim() === '')) return; // blank line
    const sku = cells[at.sku]?.trim() ?? '';
    const locationId = cells[at.location]?.trim() ?? '';
    const onHandText = cells[at.onHand]?.trim() ?? '';
    if (!/^\d+$/.test(onHandText)) {
      rejected.push({ row, sku, locationId, reason: `On hand must be a whole number ≥ 0, not "${onHandText}"` });
      return;
    }
    const parsed = MovementInput.safeParse({
      type: 'cycle_count',
      movementId: `import:${options.importId}:${row}`,
      sku,
      locationId,
      onHand: Number(onHandText),
      reference: `import ${options.importId} row ${row}`,
      ...(options.reason ? { reason: options.reason } : {}),
    });
    if (!parsed.success) {
      rejected.push({ row, sku, locationId, reason: parsed.error.issues.map((i) => `${i.path.join('.') || 'row'}: ${i.message}`).join('; ') });
      return;
    }
    // The SKU as it will be stored (NFC): `é` composed and decomposed are one position.
    const key = `${parsed.data.sku}\u0000${locationId}`;
    const first = seen.get(key);
    if (first !== undefined) {
      rejected.push({ row, sku, locationId, reason: `Same SKU and location as row ${first}: one count per position` });
      return;
    }
    seen.set(key, row);
    movements.push({ row, movement: parsed.data });
  });
  return { movements, rejected };
}

/** A rejected-rows file the merchant can fix and import again. */
export function rejectedCsv(rejected: readonly RejectedRow[]): string {
  const quote = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);
  return ['row,sku,location,reason', ...rejected.map((r) => [String(r.row), r.sku ?? '', r.locationId ?? '', r.reason].map(quote).join(','))].join('\n') + '\n';
}
