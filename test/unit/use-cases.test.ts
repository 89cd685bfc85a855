import { describe, expect, it } from 'vitest';
import { fixedClock } from '#shared/domain/clock.ts';
import { ConcurrentModificationError, NotFoundError, PreconditionFailedError } from '#shared/domain/errors.ts';
import { LocationInput, type Location } from '#shared/domain/location.ts';
import type { LocationRepository, SaveOptions } from '#shared/ports.ts';
import { getLocation, putLocation } from '#shared/use-cases/locations.ts';
import { locationBody } from '../support/fixtures.ts';

/** An in-memory repository whose saves can be made to lose races, to exercise the use case's retry rules. */
function repository(options: { loseRaces?: number } = {}) {
  const stored = new Map<string, Location>();
  const saves: { location: Location; options: SaveOptions }[] = [];
  let racesToLose = options.loseRaces ?? 0;
  const repo: LocationRepository = {
    get: async (id) => stored.get(id),
    list: async () => ({ items: [...stored.values()] }),
    save: async (location, saveOptions) => {
      if (racesToLose > 0) {
        racesToLose--;
        throw new ConcurrentModificationError('lost the race');
      }
      saves.push({ location, options: saveOptions });
      stored.set(location.locationId, location);
    },
    recordReadiness: async () => true,
  };
  return { repo, saves, loseNext: (n: number) => void (racesToLose = n) };
}

const clock = fixedClock('2026-11-27T10:00:00.000Z');
const command = { locationId: 'wh-1', input: LocationInput.parse(locationBody()), actor: 'api', correlationId: 'c-1' };

describe('putLocation', () => {
  it('saves a new location with exactly one LocationChanged event carrying the correlation id', async () => {
    const { repo, saves } = repository();
    const { change } = await putLocation({ locations: repo, clock }, command);
    expect(change).toBe('created');
    expect(saves).toHaveLength(1);
    expect(saves[0]?.options.expectedVersion).toBeNull();
    expect(saves[0]?.options.events.map((e) => [e.detailType, e.detail.metadata.correlationId])).toEqual([['LocationChanged', 'c-1']]);
  });

  it('retries a lost race on fresh state and succeeds', async () => {
    const { repo, saves } = repository({ loseRaces: 2 });
    await expect(putLocation({ locations: repo, clock }, command)).resolves.toMatchObject({ change: 'created' });
    expect(saves).toHaveLength(1);
  });

  it('gives up after three lost races (the API answers 409)', async () => {
    const { repo } = repository({ loseRaces: 3 });
    await expect(putLocation({ locations: repo, clock }, command)).rejects.toBeInstanceOf(ConcurrentModificationError);
  });

  it('checks If-Match against the stored version and never retries a write made under it', async () => {
    const { repo, loseNext } = repository();
    await putLocation({ locations: repo, clock }, command);
    const rename = { ...command, input: LocationInput.parse(locationBody({ name: 'Renamed' })) };
    await expect(putLocation({ locations: repo, clock }, { ...rename, ifMatch: 3 })).rejects.toBeInstanceOf(PreconditionFailedError);
    loseNext(1);
    await expect(putLocation({ locations: repo, clock }, { ...rename, ifMatch: 1 })).rejects.toBeInstanceOf(ConcurrentModificationError);
    await expect(putLocation({ locations: repo, clock }, { ...rename, ifMatch: 1 })).resolves.toMatchObject({ change: 'updated' });
  });
});

describe('getLocation', () => {
  it('answers not found without a lookup for ids that cannot exist', async () => {
    const lookups: string[] = [];
    const repo: LocationRepository = { ...repository().repo, get: async (id) => void lookups.push(id) };
    await expect(getLocation({ locations: repo }, 'NOT#AN#ID')).rejects.toBeInstanceOf(NotFoundError);
    expect(lookups).toEqual([]);
  });
});
