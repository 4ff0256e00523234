// The label-next queues: least certain first, most disputed first (hand-computed orders).
import { describe, expect, it } from 'vitest';
import {
  beliefFromCosines,
  disagreementQueue,
  uncertaintyQueue,
} from '../../main/services/preference-training';

describe('uncertaintyQueue', () => {
  it('serves the comparisons with |p − 0.5| smallest first', () => {
    const queue = uncertaintyQueue([
      { comparisonId: 1, probabilities: [0.9, 0.1] },
      { comparisonId: 2, probabilities: [0.48, 0.52] },
      { comparisonId: 3, probabilities: [0.3, 0.7] },
      { comparisonId: 4, probabilities: [0.5, 0.5] },
    ]);
    expect(queue.map((e) => e.comparisonId)).toEqual([4, 2, 3, 1]);
    expect(queue[0]!.priority).toBeCloseTo(1, 12);
    expect(queue[3]!.priority).toBeCloseTo(1 - 0.8, 12);
  });

  it('uses the top-two margin for more than two images and honours the limit', () => {
    const queue = uncertaintyQueue(
      [
        { comparisonId: 1, probabilities: [0.4, 0.35, 0.25] },
        { comparisonId: 2, probabilities: [0.6, 0.2, 0.2] },
        { comparisonId: 3, probabilities: [0.34, 0.33, 0.33] },
      ],
      2,
    );
    expect(queue.map((e) => e.comparisonId)).toEqual([3, 1]);
  });

  it('beliefFromCosines is the softmax of logitScale·cosine', () => {
    const { probabilities } = beliefFromCosines(7, [0.3, 0.29], 100);
    expect(probabilities[0]).toBeCloseTo(1 / (1 + Math.exp(-1)), 12);
  });
});

describe('disagreementQueue', () => {
  it('serves comparisons the scorers split on first, then the closest calls', () => {
    const queue = disagreementQueue([
      {
        comparisonId: 1,
        scores: [
          [1, 0],
          [5, 2],
          [0.9, 0.1],
        ],
      }, // all pick image 0, by wide margins
      {
        comparisonId: 2,
        scores: [
          [1, 0],
          [2, 5],
          [0.9, 0.1],
        ],
      }, // 2 of 3 agree
      {
        comparisonId: 3,
        scores: [
          [0.5, 0.49],
          [3.1, 3],
          [0.51, 0.5],
        ],
      }, // all agree, narrowly
    ]);
    expect(queue.map((e) => e.comparisonId)).toEqual([2, 3, 1]);
    expect(queue[0]!.priority).toBeGreaterThan(1 / 3);
  });

  it('needs at least two scorers with the same count everywhere', () => {
    expect(() => disagreementQueue([{ comparisonId: 1, scores: [[1, 0]] }])).toThrow(/at least 2 scorers/);
    expect(() =>
      disagreementQueue([
        {
          comparisonId: 1,
          scores: [
            [1, 0],
            [0, 1],
          ],
        },
        { comparisonId: 2, scores: [[1, 0]] },
      ]),
    ).toThrow(/expected 2/);
  });
});
