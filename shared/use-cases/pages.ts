import type { Page, PageRequest } from '#shared/ports.ts';

/** Reads every page of a (small, configuration-sized) list. */
export async function collectPages<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const all: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 100, cursor });
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
