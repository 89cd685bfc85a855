/**
 * EventBridge Pipes input templates: `<$.path>` placeholders filled from the
 * event. Inside double quotes a value is inserted as string content; outside
 * quotes as JSON (so `<$.detail>` inserts the object itself).
 */
export function renderInputTemplate(template: string, event: unknown): unknown {
  let inString = false;
  let output = '';
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    if (char === '"' && template[i - 1] !== '\\') inString = !inString;
    if (char === '<' && template[i + 1] === '$') {
      const end = template.indexOf('>', i);
      if (end < 0) throw new Error(`Unclosed placeholder in input template: ${template}`);
      const value = valueAt(event, template.slice(i + 1, end));
      output += inString ? JSON.stringify(String(value ?? '')).slice(1, -1) : JSON.stringify(value ?? null);
      i = end;
      continue;
    }
    output += char;
  }
  return JSON.parse(output);
}

/** `$.a.b.0.c` → event.a.b[0].c */
export function valueAt(event: unknown, path: string): unknown {
  if (!path.startsWith('$')) throw new Error(`Unsupported JSON path ${path}`);
  return path
    .slice(1)
    .split('.')
    .filter(Boolean)
    .reduce<unknown>((value, segment) => (value && typeof value === 'object' ? (value as Record<string, unknown>)[segment] : undefined), event);
}
