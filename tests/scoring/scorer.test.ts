// The scorers end to end through our own preprocessing (main/image) and tokenizer, against the clip fixtures.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeExecutionProvider } from '../../main/engine/runtime';
import {
  createScorer,
  EmbeddingCache,
  isScoreError,
  type ScoreEntry,
  type Scorer,
  type ScoreRow,
} from '../../main/services/scoring';
import { f32, fixture, IMAGES, maxAbsDiff, PROMPTS, relativeError, VOCAB } from '../models/clip-fixtures';
import { expectWithin } from '../parity';

function matrix(rows: readonly ScoreRow[], field: 'cosine' | 'score'): Float32Array {
  return Float32Array.from(rows as ScoreEntry[], (r) => r[field]!);
}

describe('hps-v1 scorer (OpenAI preprocessing, QuickGELU tower)', () => {
  let scorer: Scorer;
  const cache = new EmbeddingCache();
  beforeAll(async () => {
    scorer = await createScorer({ kind: 'hps-v1', model: fixture('hps_v1_tiny.pt'), vocab: VOCAB, cache });
  });
  afterAll(() => scorer.close());

  it('matches v1_cosine for every (image, prompt), score = 100 × cosine', async () => {
    const rows = await scorer.score(IMAGES, PROMPTS, { batchSize: 3 });
    expect(rows).toHaveLength(IMAGES.length * PROMPTS.length);
    expect(rows.map((r) => [r.image, (r as ScoreEntry).prompt])).toEqual(
      IMAGES.flatMap((image) => PROMPTS.map((prompt) => [image, prompt])),
    );
    const err = maxAbsDiff(matrix(rows, 'cosine'), f32('v1_cosine.f32'));
    expectWithin('hps-v1 scorer, our preprocessing: cosine max |Δ|', err, 1e-4);
    for (const r of rows as ScoreEntry[]) expect(r.score).toBeCloseTo(100 * r.cosine!, 10);
  });

  it('re-scores against new prompts from the embedding cache, whatever the batch size', async () => {
    const progress: number[] = [];
    const first = await scorer.score(IMAGES, ['a photo of a dog'], { batchSize: 1 });
    const again = await scorer.score(IMAGES, ['a photo of a dog'], {
      batchSize: 7,
      onProgress: (p) => progress.push(p.cached),
    });
    expect(progress.at(-1)).toBe(IMAGES.length);
    expect(cache.size).toBe(IMAGES.length);
    expect(matrix(again, 'cosine')).toEqual(matrix(first, 'cosine'));
  });

  it('gives batch-size-independent features (batch 1 vs 7)', async () => {
    const fresh = await createScorer({ kind: 'hps-v1', model: fixture('hps_v1_tiny.pt'), vocab: VOCAB });
    try {
      const one = await fresh.encodeImages(IMAGES, { batchSize: 1 });
      const seven = await scorer.encodeImages(IMAGES, { batchSize: 7 });
      const worst = Math.max(...IMAGES.map((_, i) => maxAbsDiff(one[i]!.features!, seven[i]!.features!)));
      expectWithin('features at batch 1 vs batch 7', worst, 1e-6);
    } finally {
      await fresh.close();
    }
  });

  it('reports an unreadable image in the middle and still scores the rest', async () => {
    const bad = { label: 'corrupt.png', bytes: new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]) };
    const rows = await scorer.score([IMAGES[0]!, bad, IMAGES[1]!], [PROMPTS[0]!]);
    expect(rows).toHaveLength(3);
    expect(isScoreError(rows[1]!)).toBe(true);
    expect(rows[1]!.image).toBe('corrupt.png');
    expect((rows[0] as ScoreEntry).cosine).toBeCloseTo(f32('v1_cosine.f32')[0]!, 4);
    expect((rows[2] as ScoreEntry).cosine).toBeCloseTo(f32('v1_cosine.f32')[PROMPTS.length]!, 4);
  });
});

describe.each(['hps_v2_tiny.pt', 'hps_v2_tiny.safetensors'])(
  'hps-v2 scorer on %s (HPS v2 letterbox preprocessing)',
  (file) => {
    it('matches v2_score', async () => {
      const scorer = await createScorer({ kind: 'hps-v2', model: fixture(file), vocab: VOCAB });
      try {
        const rows = await scorer.score(IMAGES, PROMPTS, { batchSize: 4 });
        const err = maxAbsDiff(matrix(rows, 'cosine'), f32('v2_score.f32'));
        expectWithin(`hps-v2 scorer (${file}), our preprocessing: score max |Δ|`, err, 1e-4);
      } finally {
        await scorer.close();
      }
    });
  },
);

describe('aesthetic scorer (LAION MLP over the v1 tower)', () => {
  it('matches aesthetic.f32 with one {image, score} per image', async () => {
    const scorer = await createScorer({
      kind: 'aesthetic',
      model: fixture('hps_v1_tiny.pt'),
      head: fixture('aesthetic_tiny.pth'),
    });
    try {
      const rows = await scorer.score(IMAGES, []);
      expect(rows.every((r) => !('prompt' in r) && !('cosine' in r))).toBe(true);
      const err = relativeError(matrix(rows, 'score'), f32('aesthetic.f32'));
      expectWithin('aesthetic scorer (relative)', err, 1e-4);
      await expect(scorer.encodeTexts(['x'])).rejects.toThrow(/no text tower/);
    } finally {
      await scorer.close();
    }
  });
});

describe('pickscore scorer', () => {
  it('scores exp(logit_scale) × cosine and softmaxes across the images of each prompt', async () => {
    const scorer = await createScorer({
      kind: 'pickscore',
      model: fixture('hps_v2_tiny.safetensors'),
      vocab: VOCAB,
    });
    try {
      const prompts = PROMPTS.slice(0, 2);
      const rows = (await scorer.score(IMAGES.slice(0, 3), prompts)) as ScoreEntry[];
      const scale = rows[0]!.score / rows[0]!.cosine!;
      for (const r of rows) expect(r.score).toBeCloseTo(scale * r.cosine!, 8);
      for (const prompt of prompts) {
        const own = rows.filter((r) => r.prompt === prompt);
        expect(own.reduce((s, r) => s + r.probability!, 0)).toBeCloseTo(1, 10);
        const z = own.map((r) => Math.exp(r.score));
        own.forEach((r, i) => expect(r.probability).toBeCloseTo(z[i]! / z.reduce((a, b) => a + b, 0), 10));
      }
    } finally {
      await scorer.close();
    }
  });
});

describe('execution provider fallback', () => {
  it('uses cuda where it loads, else falls back to cpu float32 with one warning', async () => {
    const cuda = await probeExecutionProvider('cuda');
    const warnings: string[] = [];
    const scorer = await createScorer({
      kind: 'hps-v1',
      model: fixture('hps_v1_tiny.pt'),
      vocab: VOCAB,
      ep: 'cuda',
      onWarning: (w) => warnings.push(w),
    });
    try {
      expect(scorer.ep).toBe(cuda.ok ? 'cuda' : 'cpu');
      expect(warnings).toEqual(
        cuda.ok ? [] : [expect.stringMatching(/^cuda could not run the model .*; using cpu$/)],
      );
      const rows = (await scorer.score(IMAGES.slice(0, 1), PROMPTS.slice(0, 1))) as ScoreEntry[];
      expect(rows[0]!.cosine).toBeCloseTo(f32('v1_cosine.f32')[0]!, 4);
    } finally {
      await scorer.close();
    }
  });
});
