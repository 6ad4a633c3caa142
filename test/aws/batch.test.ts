import { describe, expect, it } from 'vitest';
import { chunk, collectPages } from '../../lib/aws/batch.js';

describe('chunk', () => {
  it('splits in order into slices of at most the size', () => {
    expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunk([1, 2], 10)).toEqual([[1, 2]]);
    expect(chunk([], 10)).toEqual([]);
  });

  it('refuses a size that is not a positive integer', () => {
    expect(() => chunk([1], 0)).toThrow(RangeError);
    expect(() => chunk([1], 1.5)).toThrow(RangeError);
  });
});

describe('collectPages', () => {
  it('joins the items of every page, skipping pages without any', async () => {
    async function* pages() {
      yield { items: [1, 2] };
      yield {};
      yield { items: [3] };
    }
    expect(await collectPages(pages(), (page: { items?: number[] }) => page.items)).toEqual([1, 2, 3]);
  });
});
