// The image pipeline prepares batch i+1 while the consumer still holds batch i, and settles cache hits and
// unreadable files without inference.
import { describe, expect, it } from 'vitest';
import { pixelBatches, type Settled } from '../../main/services/scoring/image-batches';
import { IMAGES } from '../models/clip-fixtures';

describe('pixelBatches', () => {
  it('reads the next batch before the consumer is done with the current one', async () => {
    const events: string[] = [];
    const images = IMAGES.slice(0, 4);
    const batches = pixelBatches(images, {
      mode: 'openai',
      batchSize: 2,
      lookup: () => {
        events.push('read');
        return undefined;
      },
      settle: () => events.push('settled'),
    });
    let n = 0;
    for await (const batch of batches) {
      expect(batch.pixels).toHaveLength(batch.items.length * 3 * 224 * 224);
      events.push(`got ${n}`);
      // Stand-in for inference: give the prefetch time to run.
      await new Promise((r) => setTimeout(r, 400));
      events.push(`done ${n++}`);
    }
    // The third image (first of batch 1) is read while batch 0 is still being consumed.
    const readWhileBusy = events.indexOf('read', events.indexOf('got 0'));
    expect(readWhileBusy).toBeGreaterThan(-1);
    expect(readWhileBusy).toBeLessThan(events.indexOf('done 0'));
    expect(events.filter((e) => e === 'read')).toHaveLength(4);
    expect(events).not.toContain('settled');
  });

  it('settles cache hits and unreadable inputs in place and batches the rest', async () => {
    const settled: Settled[] = [];
    const cached = new Float32Array([1, 2, 3]);
    let lookups = 0;
    const inputs = [IMAGES[0]!, { label: 'broken.png', bytes: new Uint8Array([1, 2, 3]) }, IMAGES[1]!];
    const seen: number[] = [];
    for await (const batch of pixelBatches(inputs, {
      mode: 'hpsv2',
      batchSize: 8,
      lookup: () => (lookups++ === 0 ? cached : undefined),
      settle: (s) => settled.push(s),
    })) {
      seen.push(...batch.items.map((i) => i.index));
    }
    expect(seen).toEqual([2]);
    expect(settled).toHaveLength(2);
    expect(settled[0]).toMatchObject({ index: 0, cached });
    expect(settled[1]).toMatchObject({ index: 1, image: 'broken.png' });
    expect((settled[1] as { error: string }).error).toMatch(/broken\.png/);
  });
});
