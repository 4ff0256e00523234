import { describe, expect, it } from 'vitest';
import { BoundedCache } from '../../main/image/bounded-cache';

describe('BoundedCache', () => {
  it('reuses entries and evicts the oldest beyond its limit', () => {
    const cache = new BoundedCache<number>(2);
    let created = 0;
    const get = (key: string) => cache.getOrCreate(key, () => ++created);
    expect([get('a'), get('b'), get('a')]).toEqual([1, 2, 1]);
    get('c'); // evicts 'a'
    expect(get('b')).toBe(2);
    expect(get('a')).toBe(4);
    expect(created).toBe(4);
  });
});
