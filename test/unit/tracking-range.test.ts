import { describe, expect, it } from 'vitest';
import { TRACKING_LABEL_SKEW_MINUTES, TRACKING_MAX_AHEAD_MINUTES, trackingOutOfRange } from '#shared/domain/fulfillment.ts';

/**
 * A carrier's update can only be about this parcel if it is dated after the
 * label was bought (the fulfillment's creation), give or take the carriers'
 * clock skew, and not far ahead of the OMS's clock.
 */
describe('a carrier update out of range', () => {
  const parcel = { createdAt: '2026-11-27T10:00:00.000Z' };
  const now = new Date('2026-11-28T12:00:00.000Z');

  it('bounds: 15 minutes of skew before the label, 1 hour ahead of now', () => {
    expect(TRACKING_LABEL_SKEW_MINUTES).toBe(15);
    expect(TRACKING_MAX_AHEAD_MINUTES).toBe(60);
  });

  it.each([
    ['dated with the label', '2026-11-27T10:00:00.000Z'],
    ['dated later the same day', '2026-11-27T18:30:00Z'],
    ['dated a few minutes before the label (carrier clock skew)', '2026-11-27T09:50:00Z'],
    ['dated exactly at the skew bound', '2026-11-27T09:45:00.000Z'],
    ['dated now', '2026-11-28T12:00:00.000Z'],
    ['dated up to an hour ahead of now', '2026-11-28T13:00:00.000Z'],
  ])('is in range when %s', (_case, occurredAt) => {
    expect(trackingOutOfRange(parcel, occurredAt, now)).toBeUndefined();
  });

  it.each([
    ['just beyond the skew before the label', '2026-11-27T09:44:59.999Z', 'dated 2026-11-27T09:44:59.999Z, before the parcel\'s label was created (2026-11-27T10:00:00.000Z)'],
    ['days before the label (a reused tracking number)', '2026-11-20T08:00:00Z', 'before the parcel\'s label was created'],
    ['just beyond an hour ahead of now', '2026-11-28T13:00:00.001Z', 'dated 2026-11-28T13:00:00.001Z, in the future (more than 60 minutes after 2026-11-28T12:00:00.000Z)'],
    ['a year ahead', '2027-11-28T12:00:00Z', 'in the future'],
  ])('is out of range when %s, saying why', (_case, occurredAt, reason) => {
    expect(trackingOutOfRange(parcel, occurredAt, now)).toContain(reason);
  });

  it('reads offsets: the same instant written in another zone is judged the same', () => {
    expect(trackingOutOfRange(parcel, '2026-11-27T04:50:00-05:00', now)).toBeUndefined();
    expect(trackingOutOfRange(parcel, '2026-11-27T04:40:00-05:00', now)).toContain('before the parcel\'s label');
  });
});
