/**
 * JSON with object keys sorted at every level, so two equal values serialize
 * identically whatever order their keys were written in. Used to detect
 * no-op updates and to fingerprint request bodies.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );
}
