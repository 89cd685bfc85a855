/**
 * EventBridge event-pattern matching, for the local bus and the local outbox
 * pipe (Pipes filters use the same syntax). Covers the documented content
 * filters: exact values, prefix, suffix, anything-but, numeric, exists,
 * equals-ignore-case, wildcard and $or. Unknown operators are rejected, so a
 * pattern that AWS would read differently fails loudly here.
 */
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function matchesPattern(pattern: Record<string, unknown>, event: unknown): boolean {
  return matchObject(pattern, event);
}

function matchObject(pattern: Record<string, unknown>, value: unknown): boolean {
  for (const [key, expected] of Object.entries(pattern)) {
    if (key === '$or') {
      if (!Array.isArray(expected) || !expected.some((alternative) => matchObject(alternative as Record<string, unknown>, value))) {
        return false;
      }
      continue;
    }
    const field = isObject(value) ? value[key] : undefined;
    if (Array.isArray(expected)) {
      if (!matchField(expected, field, isObject(value) && key in value)) return false;
    } else if (isObject(expected)) {
      if (!isObject(field) || !matchObject(expected, field)) return false;
    } else {
      throw new Error(`Invalid event pattern at "${key}": values must be arrays or objects`);
    }
  }
  return true;
}

function matchField(conditions: unknown[], field: unknown, present: boolean): boolean {
  const values: unknown[] = Array.isArray(field) ? field : [field];
  return conditions.some((condition) => {
    if (isObject(condition) && 'exists' in condition) {
      return condition['exists'] === (present && field !== undefined);
    }
    if (!present) return false;
    return values.some((value) => matchCondition(condition, value));
  });
}

function matchCondition(condition: unknown, value: unknown): boolean {
  if (!isObject(condition)) return condition === value;
  const [operator, operand] = Object.entries(condition)[0] ?? [];
  switch (operator) {
    case 'prefix':
      return typeof value === 'string' && stringTest(operand, value, (v, o) => v.startsWith(o));
    case 'suffix':
      return typeof value === 'string' && stringTest(operand, value, (v, o) => v.endsWith(o));
    case 'equals-ignore-case':
      return typeof value === 'string' && typeof operand === 'string' && value.toLowerCase() === operand.toLowerCase();
    case 'wildcard':
      return typeof value === 'string' && typeof operand === 'string' && wildcard(operand).test(value);
    case 'anything-but':
      return anythingBut(operand, value);
    case 'numeric':
      return typeof value === 'number' && numeric(operand as (string | number)[], value);
    default:
      throw new Error(`Unsupported event pattern operator: ${String(operator)}`);
  }
}

function stringTest(operand: unknown, value: string, test: (value: string, operand: string) => boolean): boolean {
  if (typeof operand === 'string') return test(value, operand);
  if (isObject(operand) && typeof operand['equals-ignore-case'] === 'string') {
    return test(value.toLowerCase(), operand['equals-ignore-case'].toLowerCase());
  }
  throw new Error('prefix/suffix take a string or { "equals-ignore-case": string }');
}

function anythingBut(operand: unknown, value: unknown): boolean {
  if (Array.isArray(operand)) return !operand.includes(value as Json);
  if (isObject(operand)) {
    if ('prefix' in operand) return !(typeof value === 'string' && value.startsWith(String(operand['prefix'])));
    if ('suffix' in operand) return !(typeof value === 'string' && value.endsWith(String(operand['suffix'])));
    if ('equals-ignore-case' in operand) {
      const options = ([] as unknown[]).concat(operand['equals-ignore-case']).map((o) => String(o).toLowerCase());
      return !(typeof value === 'string' && options.includes(value.toLowerCase()));
    }
    throw new Error('Unsupported anything-but operand');
  }
  return value !== operand;
}

function numeric(spec: (string | number)[], value: number): boolean {
  for (let i = 0; i < spec.length; i += 2) {
    const operator = spec[i];
    const bound = Number(spec[i + 1]);
    const ok =
      operator === '=' ? value === bound
      : operator === '<' ? value < bound
      : operator === '<=' ? value <= bound
      : operator === '>' ? value > bound
      : operator === '>=' ? value >= bound
      : undefined;
    if (ok === undefined) throw new Error(`Unsupported numeric operator ${String(operator)}`);
    if (!ok) return false;
  }
  return true;
}

function wildcard(pattern: string): RegExp {
  const escaped = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
