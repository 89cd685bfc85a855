/**
 * EventBridge Scheduler expressions, evaluated locally in UTC:
 * `rate(5 minutes)`, `cron(min hour day-of-month month day-of-week year)`,
 * `at(2026-12-01T07:00:00)`. Cron supports `*`, `?`, lists, ranges, steps and
 * month/day names; `L`, `W` and `#` are rejected rather than misread.
 */
export type ScheduleExpression =
  | { kind: 'rate'; everyMs: number }
  | { kind: 'cron'; fields: CronFields }
  | { kind: 'at'; at: Date };

interface CronFields {
  minutes: Set<number>;
  hours: Set<number>;
  daysOfMonth: Set<number> | 'any';
  months: Set<number>;
  daysOfWeek: Set<number> | 'any';
  years: Set<number> | 'any';
}

const UNIT_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const DAYS = ['SUN', 'MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT'];

export function parseScheduleExpression(expression: string): ScheduleExpression {
  const rate = /^rate\((?<amount>\d+)\s+(?<unit>minute|hour|day)(?<plural>s?)\)$/.exec(expression.trim())?.groups;
  if (rate) {
    const amount = Number(rate['amount']);
    const unit = rate['unit'] as keyof typeof UNIT_MS;
    if (amount < 1) throw new Error(`Invalid rate: ${expression}`);
    if ((amount === 1) !== (rate['plural'] === '')) throw new Error(`Use "1 ${unit}" or "N ${unit}s": ${expression}`);
    return { kind: 'rate', everyMs: amount * UNIT_MS[unit] };
  }
  const at = /^at\((\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\)$/.exec(expression.trim());
  if (at) return { kind: 'at', at: new Date(`${at[1]}Z`) };
  const cron = /^cron\((?<body>.+)\)$/.exec(expression.trim())?.groups?.['body'];
  if (!cron) throw new Error(`Not a schedule expression: ${expression}`);
  const parts = cron.trim().split(/\s+/);
  if (parts.length !== 6) throw new Error(`cron() takes 6 fields (minutes hours day-of-month month day-of-week year): ${expression}`);
  const [minutes, hours, dom, month, dow, year] = parts as [string, string, string, string, string, string];
  if ((dom === '?') === (dow === '?')) throw new Error(`Exactly one of day-of-month and day-of-week must be "?": ${expression}`);
  return {
    kind: 'cron',
    fields: {
      minutes: field(minutes, 0, 59),
      hours: field(hours, 0, 23),
      daysOfMonth: dom === '?' ? 'any' : field(dom, 1, 31),
      months: field(month, 1, 12, MONTHS, 1),
      daysOfWeek: dow === '?' ? 'any' : field(dow, 1, 7, DAYS, 1),
      years: year === '*' ? 'any' : field(year, 1970, 2199),
    },
  };
}

function field(text: string, min: number, max: number, names: string[] = [], nameBase = 0): Set<number> {
  const values = new Set<number>();
  const value = (token: string): number => {
    const index = names.indexOf(token.toUpperCase());
    const n = index >= 0 ? index + nameBase : Number(token);
    if (!Number.isInteger(n) || n < min || n > max) throw new Error(`"${token}" is out of range ${min}-${max}`);
    return n;
  };
  // Names (JAN, MON) become numbers first, so the L/W/# check cannot trip on the L of JUL.
  const numeric = names.reduce(
    (acc, name, index) => acc.replace(new RegExp(`\\b${name}\\b`, 'gi'), String(index + nameBase)),
    text,
  );
  for (const part of numeric.split(',')) {
    if (/[LW#]/i.test(part)) throw new Error(`Unsupported cron token "${part}" (L, W and # are not evaluated locally)`);
    const [range, stepText] = part.split('/') as [string, string | undefined];
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step < 1) throw new Error(`Invalid step in "${part}"`);
    let from: number;
    let to: number;
    if (range === '*') [from, to] = [min, max];
    else if (range.includes('-')) {
      const [a, b] = range.split('-') as [string, string];
      [from, to] = [value(a), value(b)];
    } else {
      from = value(range);
      to = stepText === undefined ? from : max;
    }
    for (let n = from; n <= to; n += step) values.add(n);
  }
  return values;
}

/** The first time strictly after `after` at which the schedule fires, or undefined if it never will. */
export function nextFireTime(schedule: ScheduleExpression, after: Date, startedAt: Date = after): Date | undefined {
  if (schedule.kind === 'at') return schedule.at > after ? schedule.at : undefined;
  if (schedule.kind === 'rate') {
    const elapsed = after.getTime() - startedAt.getTime();
    const periods = Math.floor(elapsed / schedule.everyMs) + 1;
    return new Date(startedAt.getTime() + periods * schedule.everyMs);
  }
  const f = schedule.fields;
  const t = new Date(after.getTime());
  t.setUTCSeconds(0, 0);
  t.setUTCMinutes(t.getUTCMinutes() + 1);
  for (let guard = 0; guard < 200_000; guard++) {
    if (f.years !== 'any' && !f.years.has(t.getUTCFullYear())) {
      if (t.getUTCFullYear() > Math.max(...f.years)) return undefined;
      t.setUTCFullYear(t.getUTCFullYear() + 1, 0, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.months.has(t.getUTCMonth() + 1)) {
      t.setUTCMonth(t.getUTCMonth() + 1, 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    const dayMatches =
      f.daysOfMonth === 'any'
        ? (f.daysOfWeek as Set<number>).has(t.getUTCDay() + 1)
        : f.daysOfMonth.has(t.getUTCDate());
    if (!dayMatches) {
      t.setUTCDate(t.getUTCDate() + 1);
      t.setUTCHours(0, 0, 0, 0);
      continue;
    }
    if (!f.hours.has(t.getUTCHours())) {
      t.setUTCHours(t.getUTCHours() + 1, 0, 0, 0);
      continue;
    }
    if (!f.minutes.has(t.getUTCMinutes())) {
      t.setUTCMinutes(t.getUTCMinutes() + 1, 0, 0);
      continue;
    }
    return t;
  }
  return undefined;
}
