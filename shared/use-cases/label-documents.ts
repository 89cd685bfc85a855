import type { CarrierLabel, Fulfillment } from '#shared/domain/fulfillment.ts';
import type { DocumentStore } from '#shared/ports.ts';

/**
 * Label documents live in the document store (S3 on AWS, `.oms/documents`
 * locally), not in the items: a fulfillment or return keeps the label's
 * summary and `labelRef`. The API still answers the document in `label`
 * (ZPL as text, PDF as base64), read back from the store.
 */

const CONTENT_TYPES = { ZPL: 'text/plain; charset=utf-8', PDF: 'application/pdf' } as const;

/** Where an order's label is stored: `labels/<orderId>/<fulfillmentId or returnId>.<zpl|pdf>`. */
export function labelKey(orderId: string, ownerId: string, format: 'ZPL' | 'PDF'): string {
  return `labels/${orderId}/${ownerId}.${format.toLowerCase()}`;
}

/** Puts the document of a label just bought (PDF stored as the file it is, not base64) and answers its reference. */
export async function storeLabelDocument(documents: DocumentStore, key: string, format: 'ZPL' | 'PDF', document: string): Promise<string> {
  return documents.put(key, format === 'PDF' ? Buffer.from(document, 'base64') : document, CONTENT_TYPES[format]);
}

/** The label as a fulfillment keeps it: everything but the document, plus where the document is. */
export async function storedCarrierLabel(documents: DocumentStore, orderId: string, fulfillmentId: string, label: CarrierLabel): Promise<CarrierLabel> {
  const { label: document, ...summary } = label;
  if (document === undefined) return label;
  return { ...summary, labelRef: await storeLabelDocument(documents, labelKey(orderId, fulfillmentId, label.labelFormat), label.labelFormat, document) };
}

/** The document stored under `reference`, as the API answers it (ZPL text, base64 PDF); undefined when it is gone. */
export async function readLabelDocument(documents: DocumentStore, reference: string, format: string): Promise<string | undefined> {
  const stored = await documents.get(reference);
  if (!stored) return undefined;
  return format === 'PDF' ? Buffer.from(stored.body).toString('base64') : new TextDecoder().decode(stored.body);
}

/** A fulfillment as the API answers it: its label document read back from the store (older items still hold it inline). */
export async function withLabelDocument(documents: DocumentStore, fulfillment: Fulfillment): Promise<Fulfillment> {
  const carrier = fulfillment.carrier;
  if (!carrier?.labelRef || carrier.label !== undefined) return fulfillment;
  const document = await readLabelDocument(documents, carrier.labelRef, carrier.labelFormat);
  return document === undefined ? fulfillment : { ...fulfillment, carrier: { ...carrier, label: document } };
}
