/** Paging helpers for the adapters; `chunk` lives in lib/chunk.ts and is shared with the domain. */
export { chunk } from '../support/chunk.js';

/** Every item of every page of an SDK paginator, in order. */
export async function collectPages<Page, Item>(
  pages: AsyncIterable<Page>,
  itemsOf: (page: Page) => readonly Item[] | undefined,
): Promise<Item[]> {
  const items: Item[] = [];
  for await (const page of pages) items.push(...(itemsOf(page) ?? []));
  return items;
}
