import { describe, expect, it } from 'vitest';
import { nextFireTime, parseScheduleExpression } from '#infra/local/schedule-expression.ts';

const at = (iso: string) => new Date(iso);

describe('schedule expressions', () => {
  it('fires a daily cron at its next occurrence in UTC', () => {
    const daily = parseScheduleExpression('cron(0 7 * * ? *)');
    expect(nextFireTime(daily, at('2026-11-27T06:59:30Z'))?.toISOString()).toBe('2026-11-27T07:00:00.000Z');
    expect(nextFireTime(daily, at('2026-11-27T07:00:00Z'))?.toISOString()).toBe('2026-11-28T07:00:00.000Z');
  });

  it('understands weekday names, ranges and steps', () => {
    const weekdays = parseScheduleExpression('cron(*/15 9-17 ? * MON-FRI *)');
    // 2026-11-28 is a Saturday: the next run is Monday 09:00.
    expect(nextFireTime(weekdays, at('2026-11-27T17:50:00Z'))?.toISOString()).toBe('2026-11-30T09:00:00.000Z');
    expect(nextFireTime(weekdays, at('2026-11-30T09:01:00Z'))?.toISOString()).toBe('2026-11-30T09:15:00.000Z');
  });

  it('rolls over months and years', () => {
    const firstOfMonth = parseScheduleExpression('cron(30 2 1 JAN,JUL ? *)');
    expect(nextFireTime(firstOfMonth, at('2026-11-27T00:00:00Z'))?.toISOString()).toBe('2027-01-01T02:30:00.000Z');
    const once = parseScheduleExpression('cron(0 0 1 1 ? 2026)');
    expect(nextFireTime(once, at('2026-11-27T00:00:00Z'))).toBeUndefined();
  });

  it('counts rates from the start of the scheduler', () => {
    const every5 = parseScheduleExpression('rate(5 minutes)');
    const start = at('2026-11-27T10:00:00Z');
    expect(nextFireTime(every5, at('2026-11-27T10:07:00Z'), start)?.toISOString()).toBe('2026-11-27T10:10:00.000Z');
  });

  it('fires a one-time schedule once', () => {
    const once = parseScheduleExpression('at(2026-12-01T07:00:00)');
    expect(nextFireTime(once, at('2026-11-27T00:00:00Z'))?.toISOString()).toBe('2026-12-01T07:00:00.000Z');
    expect(nextFireTime(once, at('2026-12-02T00:00:00Z'))).toBeUndefined();
  });

  it.each([
    'cron(0 7 * * *)',
    'cron(0 7 * * * *)',
    'cron(0 7 L * ? *)',
    'cron(61 7 * * ? *)',
    'rate(1 minutes)',
    'rate(2 minute)',
    'every day',
  ])('rejects %s', (expression) => {
    expect(() => parseScheduleExpression(expression)).toThrow();
  });
});
