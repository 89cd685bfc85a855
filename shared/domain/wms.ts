import * as z from 'zod';
import { LocationId } from './location.ts';

/**
 * Warehouse systems that report on the OMS bus (docs/security.md "Who may
 * publish on the bus"). Each WMS has an id, and puts `FulfillmentReported`
 * with its own source `wms.<wmsId>`: on AWS the bus policy lets only that
 * WMS's IAM role put that source, and the consumer applies a report only
 * when the fulfillment's location is one of that WMS's locations — the same
 * rule as a `fulfillment:report` API key limited to locations.
 */

/** The bus sources of WMS reports start with this (`wms.<wmsId>`). */
export const WMS_SOURCE_PREFIX = 'wms.';

/** A WMS's id: the end of its source; short enough to name its bus policy statements. */
export const WmsId = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,39}$/, 'Use 1-40 lowercase letters, digits or "-", starting with a letter or digit');

export const wmsSource = (wmsId: string): string => `${WMS_SOURCE_PREFIX}${wmsId}`;

/** The WMS id of a bus source `wms.<wmsId>`; undefined for any other source (plain `wms` included). */
export function wmsIdOfSource(source: string): string | undefined {
  if (!source.startsWith(WMS_SOURCE_PREFIX)) return undefined;
  const id = source.slice(WMS_SOURCE_PREFIX.length);
  return WmsId.safeParse(id).success ? id : undefined;
}

/** `OMS_WMS_LOCATIONS`: each WMS's locations, `{ "<wmsId>": ["<locationId>", …] }`. */
export const WmsLocations = z.record(WmsId, z.array(LocationId).min(1, 'Name at least one location'));
export type WmsLocations = z.infer<typeof WmsLocations>;

/** An IAM role ARN (a WMS is bound to a role: its sessions carry the role's ARN as `aws:PrincipalArn`). */
export const IamRoleArn = z
  .string()
  .regex(/^arn:aws(-[a-z]+)*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'Use an IAM role ARN, arn:aws:iam::<account>:role/<name>');

/** The CDK context `wms`: each WMS's IAM role and locations. */
export const WmsDeployment = z
  .record(WmsId, z.strictObject({ principal: IamRoleArn, locations: z.array(LocationId).min(1, 'Name at least one location') }))
  .refine((wms) => Object.keys(wms).length > 0, 'Name at least one WMS')
  .superRefine((wms, ctx) => {
    const seen = new Map<string, string>();
    for (const [wmsId, { principal }] of Object.entries(wms)) {
      const other = seen.get(principal);
      if (other) ctx.addIssue({ code: 'custom', path: [wmsId, 'principal'], message: `${principal} is already the principal of ${other}; each WMS needs a role of its own (the bus tells them apart by role)` });
      seen.set(principal, wmsId);
    }
  });
export type WmsDeployment = z.infer<typeof WmsDeployment>;

const problems = (error: z.ZodError): string =>
  error.issues
    .map((issue) => {
      // A bad record key (a WMS id) carries its own issues: say what is wrong with it.
      const nested = issue.code === 'invalid_key' ? ` (${issue.issues.map((inner) => inner.message).join('; ')})` : '';
      return `${issue.path.join('.') || '(root)'}: ${issue.message}${nested}`;
    })
    .join('; ');

/**
 * Reads `OMS_WMS_LOCATIONS` (JSON). Absent or empty: no WMS may report on
 * the bus. Malformed: throws, naming the problem, so the start (or the cold
 * start) fails instead of refusing every report.
 */
export function wmsLocationsFrom(env: Record<string, string | undefined>): WmsLocations {
  const raw = env['OMS_WMS_LOCATIONS']?.trim();
  if (!raw) return {};
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    throw new Error('Invalid configuration: OMS_WMS_LOCATIONS must be JSON, {"<wmsId>":["<locationId>",…]}');
  }
  const parsed = WmsLocations.safeParse(json);
  if (!parsed.success) throw new Error(`Invalid configuration: OMS_WMS_LOCATIONS ${problems(parsed.error)}`);
  return parsed.data;
}

/** Parses the CDK context `wms` (a JSON string from `-c`, or an object from cdk.json); throws naming the problem. */
export function parseWmsDeployment(value: unknown): WmsDeployment {
  let json = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value);
    } catch {
      throw new Error('Context wms must be JSON: {"<wmsId>":{"principal":"arn:aws:iam::<account>:role/<name>","locations":["<locationId>",…]}}');
    }
  }
  const parsed = WmsDeployment.safeParse(json);
  if (!parsed.success) throw new Error(`Context wms is invalid: ${problems(parsed.error)}`);
  return parsed.data;
}

/** What the consumer is told (OMS_WMS_LOCATIONS) of a deployment's WMS. */
export const locationsOf = (wms: WmsDeployment): WmsLocations => Object.fromEntries(Object.entries(wms).map(([wmsId, { locations }]) => [wmsId, locations]));
