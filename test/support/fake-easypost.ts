import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { easypostSignature } from '#shared/use-cases/easypost-tracking.ts';

/**
 * A loopback EasyPost (REST /v2) that checks what the OMS sends the way the
 * real API documents it, and answers in the shapes of the recorded fixtures
 * (test/fixtures/providers/easypost-*.json):
 * - HTTP Basic with the API key as user name and an empty password (401 otherwise);
 * - `POST /v2/shipments` `{shipment:{to_address, from_address, parcel, options, reference, is_return?}}`:
 *   addresses with street1 and country, a parcel in inches/ounces, label_format PNG|PDF|ZPL|EPL2 → 201 Shipment with rates;
 * - `GET /v2/shipments/{id}`; `POST …/{id}/buy {rate:{id}}` buys a shipment ONCE (a second buy is a 422
 *   and counted in `secondBuys`); `GET …/{id}/label?file_format=`; `POST …/{id}/refund`;
 * - label files at `/files/…` served without credentials (a request carrying the API key is refused:
 *   the key must not go to another host);
 * - scripted failures (429 with Retry-After, 5xx) and signed `tracker.updated` events.
 */

type Json = Record<string, unknown>;
const fixture = (name: string): Json => JSON.parse(readFileSync(new URL(`../fixtures/providers/${name}`, import.meta.url), 'utf8')) as Json;

const CREATE = fixture('easypost-shipment-create.json');
const BUY = fixture('easypost-shipment-buy.json');
const EVENT = fixture('easypost-event-tracker.updated.json');

export interface FakeRate {
  carrier: string;
  service: string;
  rate: string;
  delivery_days: number;
}

export interface FakeEasyPost {
  url: string;
  apiKey: string;
  /** Every request as received (method, path, parsed body). */
  requests: { method: string; path: string; body: Json | undefined; authorization: string | undefined }[];
  shipments: Map<string, Json>;
  /** Successful buys per shipment id. */
  purchases: Map<string, number>;
  /** Buys refused because the shipment was bought already. */
  secondBuys: number;
  refunds: string[];
  rates: FakeRate[];
  /** The next `times` requests whose path starts with `pathPrefix` answer `status` (429: with Retry-After: 0). */
  failNext(pathPrefix: string, status: number, times?: number): void;
  /** A `tracker.updated` event for a bought shipment's tracker, shaped like the fixture, and its raw body. */
  trackerEvent(trackingCode: string, status: string, options?: { datetime?: string; message?: string; eventId?: string }): { event: Json; raw: string };
  /** The headers EasyPost sends with a webhook body signed with `secret`. */
  signedHeaders(raw: string, secret: string): Record<string, string>;
  close(): Promise<void>;
}

const DEFAULT_RATES: FakeRate[] = ((CREATE['response'] as Json)['body'] as { rates: Json[] }).rates.map((r) => ({
  carrier: String(r['carrier']),
  service: String(r['service']),
  rate: String(r['rate']),
  delivery_days: Number(r['delivery_days']),
}));

const LABEL_FORMATS = ['PNG', 'PDF', 'ZPL', 'EPL2'];

export async function startFakeEasyPost(apiKey = 'EZTK_fake_easypost_key'): Promise<FakeEasyPost> {
  const shipments = new Map<string, Json>();
  const purchases = new Map<string, number>();
  const trackers = new Map<string, Json>();
  const failures: { prefix: string; status: number; left: number }[] = [];
  let sequence = 0;
  const id = (prefix: string) => `${prefix}_${String(++sequence).padStart(32, '0')}`;
  const fake: FakeEasyPost = {
    url: '',
    apiKey,
    requests: [],
    shipments,
    purchases,
    secondBuys: 0,
    refunds: [],
    rates: [...DEFAULT_RATES],
    failNext: (prefix, status, times = 1) => void failures.push({ prefix, status, left: times }),
    trackerEvent: (trackingCode, status, options = {}) => {
      const tracker = trackers.get(trackingCode);
      if (!tracker) throw new Error(`No tracker for ${trackingCode}`);
      const datetime = options.datetime ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
      const template = EVENT['result'] as Json;
      const details = [...((tracker['tracking_details'] as Json[] | undefined) ?? [])];
      const detailTemplate = (template['tracking_details'] as Json[]).at(-1) as Json;
      details.push({ ...detailTemplate, status, status_detail: status, message: options.message ?? `Parcel ${status}`, description: options.message ?? `Parcel ${status}`, datetime });
      const previous = tracker['status'];
      Object.assign(tracker, { status, status_detail: status, updated_at: datetime, tracking_details: details });
      const event = {
        ...EVENT,
        id: options.eventId ?? id('evt'),
        previous_attributes: { status: previous },
        created_at: datetime,
        updated_at: datetime,
        result: { ...template, ...tracker },
      };
      return { event, raw: JSON.stringify(event) };
    },
    signedHeaders: (raw, secret) => ({ 'content-type': 'application/json', 'x-hmac-signature': easypostSignature(raw, secret) }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const send = (response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    response.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'x-ep-request-uuid': id('req'), ...headers });
    response.end(JSON.stringify(body));
  };
  const error = (response: ServerResponse, status: number, code: string, message: string, errors: Json[] = []) => send(response, status, { error: { code, message, errors } });

  const handle = (request: IncomingMessage, response: ServerResponse, raw: string) => {
    const url = new URL(request.url ?? '/', 'http://fake');
    const path = url.pathname;
    const authorization = request.headers['authorization'];
    let body: Json | undefined;
    if (raw) {
      try {
        body = JSON.parse(raw) as Json;
      } catch {
        return error(response, 400, 'BAD_REQUEST', 'The body is not JSON');
      }
    }
    fake.requests.push({ method: request.method ?? '', path: `${path}${url.search}`, body, authorization });

    if (path.startsWith('/files/')) {
      if (authorization) return error(response, 400, 'CREDENTIALS_SENT', 'A label file is fetched without the API key');
      const label = labels.get(path);
      if (!label) return error(response, 404, 'NOT_FOUND', 'No such file');
      response.writeHead(200, { 'content-type': label.type });
      return response.end(label.body);
    }
    if (authorization !== `Basic ${Buffer.from(`${apiKey}:`).toString('base64')}`) return error(response, 401, 'APIKEY.INVALID', 'Invalid or missing API key (HTTP Basic, key as user, empty password)');
    const failure = failures.find((f) => path.startsWith(f.prefix) && f.left > 0);
    if (failure) {
      failure.left--;
      if (failure.status === 429) return send(response, 429, { error: { code: 'RATE_LIMITED', message: 'Scripted rate limit', errors: [] } }, { 'retry-after': '0' });
      return error(response, failure.status, 'INTERNAL_SERVER_ERROR', 'Scripted failure');
    }
    if (request.method === 'POST' && raw && !String(request.headers['content-type']).startsWith('application/json')) return error(response, 415, 'BAD_REQUEST', 'JSON bodies only');

    if (request.method === 'POST' && path === '/v2/shipments') return createShipment(response, body);
    const match = /^\/v2\/shipments\/([^/]+)(?:\/(buy|refund|label))?$/.exec(path);
    const shipment = match ? shipments.get(match[1] ?? '') : undefined;
    if (!match) return error(response, 404, 'NOT_FOUND', `No route ${request.method} ${path}`);
    if (!shipment) return error(response, 404, 'SHIPMENT.NOT_FOUND', 'The requested resource could not be found.');
    if (request.method === 'GET' && !match[2]) return send(response, 200, shipment);
    if (request.method === 'POST' && match[2] === 'buy') return buy(response, shipment, body);
    if (request.method === 'POST' && match[2] === 'refund') {
      if (!shipment['postage_label']) return error(response, 422, 'SHIPMENT.REFUND.UNAVAILABLE', 'The shipment has no label to refund');
      fake.refunds.push(String(shipment['id']));
      shipment['refund_status'] = 'submitted';
      return send(response, 200, shipment);
    }
    if (request.method === 'GET' && match[2] === 'label') {
      const format = url.searchParams.get('file_format') ?? '';
      const label = shipment['postage_label'] as Json | null;
      if (!label || !LABEL_FORMATS.includes(format.toUpperCase())) return error(response, 422, 'SHIPMENT.LABEL.FAILURE', 'No label, or an unknown file_format');
      label[`label_${format.toLowerCase()}_url`] = fileFor(shipment, format.toUpperCase());
      return send(response, 200, shipment);
    }
    return error(response, 404, 'NOT_FOUND', `No route ${request.method} ${path}`);
  };

  const labels = new Map<string, { type: string; body: string }>();
  const fileFor = (shipment: Json, format: string): string => {
    const path = `/files/postage_label/${String(shipment['id'])}.${format.toLowerCase()}`;
    const tracking = String(shipment['tracking_code']);
    labels.set(path, format === 'ZPL' ? { type: 'application/zpl', body: `^XA\n^FO30,30^A0N,30,30^FDUSPS FAKE^FS\n^FO30,520^BY3^BCN,120,Y,N,N^FD${tracking}^FS\n^XZ` } : { type: 'application/pdf', body: `%PDF-1.4 fake label ${tracking}` });
    return `${fake.url}${path}`;
  };

  const problemsOfAddress = (name: string, value: unknown): Json[] => {
    const a = value as Json | undefined;
    if (!a || typeof a !== 'object') return [{ field: name, message: 'is required' }];
    return ['street1', 'country'].filter((k) => typeof a[k] !== 'string' || !a[k]).map((k) => ({ field: `${name}.${k}`, message: 'is required' }));
  };

  const createShipment = (response: ServerResponse, body: Json | undefined) => {
    const input = body?.['shipment'] as Json | undefined;
    if (!input) return error(response, 422, 'PARAMETER.REQUIRED', 'Missing required parameter: shipment');
    const parcel = input['parcel'] as Json | undefined;
    const problems = [
      ...problemsOfAddress('to_address', input['to_address']),
      ...problemsOfAddress('from_address', input['from_address']),
      ...(['length', 'width', 'height', 'weight'] as const).filter((k) => typeof parcel?.[k] !== 'number' || !((parcel[k] as number) > 0)).map((k) => ({ field: `parcel.${k}`, message: 'must be a positive number (inches, ounces)' })),
      ...(typeof input['reference'] === 'string' ? [] : [{ field: 'reference', message: 'the OMS always sends its key as reference' }]),
    ];
    const format = (input['options'] as Json | undefined)?.['label_format'];
    if (format !== undefined && !LABEL_FORMATS.includes(String(format))) problems.push({ field: 'options.label_format', message: 'must be PNG, PDF, ZPL or EPL2' });
    if (input['is_return'] !== undefined && typeof input['is_return'] !== 'boolean') problems.push({ field: 'is_return', message: 'must be a boolean' });
    if (problems.length > 0) return error(response, 422, 'SHIPMENT.INVALID_PARAMS', 'Unable to create shipment, one or more parameters were invalid.', problems);
    const template = (CREATE['response'] as Json)['body'] as Json;
    const shipmentId = id('shp');
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const rateTemplate = (template['rates'] as Json[])[0] as Json;
    const shipment: Json = {
      ...template,
      id: shipmentId,
      created_at: now,
      updated_at: now,
      reference: input['reference'],
      is_return: input['is_return'] === true,
      options: { ...(template['options'] as Json), label_format: format ?? 'PNG' },
      // EasyPost answers the addresses as sent (it swaps them on a return's label, not in the object).
      to_address: { ...(template['to_address'] as Json), ...(input['to_address'] as Json), id: id('adr') },
      from_address: { ...(template['from_address'] as Json), ...(input['from_address'] as Json), id: id('adr') },
      parcel: { ...(template['parcel'] as Json), ...parcel, id: id('prcl') },
      rates: fake.rates.map((r) => ({ ...rateTemplate, ...r, id: id('rate'), est_delivery_days: r.delivery_days, shipment_id: shipmentId, created_at: now, updated_at: now })),
      selected_rate: null,
      postage_label: null,
      tracker: null,
      tracking_code: null,
      refund_status: null,
      fees: [],
    };
    shipments.set(shipmentId, shipment);
    send(response, 201, shipment, { location: `/api/v2/shipments/${shipmentId}` });
  };

  const buy = (response: ServerResponse, shipment: Json, body: Json | undefined) => {
    const rateId = (body?.['rate'] as Json | undefined)?.['id'];
    if (typeof rateId !== 'string') return error(response, 422, 'PARAMETER.REQUIRED', 'Missing required parameter: rate.id');
    if (shipment['postage_label']) {
      // Not confirmed against the live API: the exact code of a second buy (fixtures README).
      fake.secondBuys++;
      return error(response, 422, 'SHIPMENT.POSTAGE.EXISTS', 'Postage already exists for this shipment.');
    }
    const rate = (shipment['rates'] as Json[]).find((r) => r['id'] === rateId);
    if (!rate) return error(response, 422, 'SHIPMENT.RATE.INVALID', `Rate ${rateId} is not a rate of this shipment`);
    const bought = (BUY['buy'] as Json)['response'] as Json;
    const template = bought['body'] as Json;
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
    const trackingCode = `94001${String(sequence + 1).padStart(17, '0')}`;
    const format = String((shipment['options'] as Json)['label_format'] ?? 'PNG');
    Object.assign(shipment, { tracking_code: trackingCode, updated_at: now, selected_rate: { ...rate, updated_at: now } });
    const tracker: Json = {
      ...(template['tracker'] as Json),
      id: id('trk'),
      tracking_code: trackingCode,
      shipment_id: shipment['id'],
      carrier: rate['carrier'],
      status: 'pre_transit',
      created_at: now,
      updated_at: now,
      tracking_details: [],
      is_return: shipment['is_return'],
      public_url: `https://track.easypost.com/fake-${trackingCode}`,
    };
    trackers.set(trackingCode, tracker);
    const label: Json = {
      ...(template['postage_label'] as Json),
      id: id('pl'),
      created_at: now,
      updated_at: now,
      label_file_type: format === 'ZPL' ? 'application/zpl' : format === 'PDF' ? 'application/pdf' : 'image/png',
      label_url: `${fake.url}/files/postage_label/${String(shipment['id'])}.${format.toLowerCase()}`,
      label_pdf_url: null,
      label_zpl_url: null,
    };
    fileFor(shipment, format === 'PNG' ? 'ZPL' : format);
    shipment['postage_label'] = label;
    shipment['tracker'] = tracker;
    shipment['fees'] = template['fees'];
    purchases.set(String(shipment['id']), (purchases.get(String(shipment['id'])) ?? 0) + 1);
    send(response, 200, shipment);
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  fake.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return fake;
}
