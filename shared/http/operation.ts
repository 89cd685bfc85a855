import type * as z from 'zod';
import type { Scope } from '#shared/domain/identity.ts';

/**
 * One HTTP operation of the OMS API, described once: the handler validates
 * with its schemas, CDK and the local runtime route by its method and path,
 * and the OpenAPI document is generated from it.
 */
export interface Operation {
  operationId: string;
  method: 'GET' | 'PUT' | 'POST' | 'DELETE' | 'PATCH' | 'ANY';
  /** API Gateway path syntax (`/v1/locations/{locationId}`), or `$default` for the catch-all route. */
  path: string;
  /** `bearer`: Authorization: Bearer <token>. `none`: public, or authenticated by the handler itself (signatures). */
  auth: 'bearer' | 'none';
  /**
   * The scope a `bearer` operation needs (docs/security.md): by default `read`
   * for GET and `admin` for anything else. A principal without it gets 403.
   */
  scope?: Scope;
  summary: string;
  description?: string;
  tags: string[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  /** Request headers the operation requires or reads (lower-case names). */
  headers?: z.ZodObject;
  body?: z.ZodType;
  /** A body the handler validates itself, after checking a signature over the raw bytes (documented, not pre-validated). */
  signedBody?: z.ZodType;
  /** Largest accepted body in bytes (413 above it). */
  maxBodyBytes?: number;
  /** `html`: the answer is also served as an HTML document when the caller sends `Accept: text/html`. */
  responses: Partial<Record<200 | 201 | 202 | 204, { description: string; schema?: z.ZodType; html?: true }>>;
  /** Error statuses the operation can answer, documented with the common error body (415 is added to every operation with a `body`). */
  errors: number[];
  /** Left out of the OpenAPI document (the catch-all route). */
  internal?: boolean;
}

/**
 * An operation of the contract. A `bearer` one also answers 403 (scope). One with a JSON `body` also answers 415 to
 * a body that is not JSON (shared/http/handler.ts checks its Content-Type;
 * webhooks, with a `signedBody`, take what each channel sends).
 */
export function defineOperation<const O extends Operation>(operation: O): O {
  const added = [
    ...(operation.body && !operation.errors.includes(415) ? [415] : []),
    // Every authenticated operation answers 403 to a principal without its scope.
    ...(operation.auth === 'bearer' && !operation.errors.includes(403) ? [403] : []),
  ];
  if (added.length === 0) return operation;
  return { ...operation, errors: [...operation.errors, ...added].sort((a, b) => a - b) };
}

/** API Gateway route key: `PUT /v1/locations/{locationId}` or `$default`. */
export function routeKeyOf(operation: Pick<Operation, 'method' | 'path'>): string {
  return operation.path === '$default' ? '$default' : `${operation.method} ${operation.path}`;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** The scope a caller needs for `operation`: its own, or `read` for GET and `admin` otherwise. */
export function requiredScope(operation: Pick<Operation, 'method' | 'scope'>): Scope {
  return operation.scope ?? (operation.method === 'GET' ? 'read' : 'admin');
}
