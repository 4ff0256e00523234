// The HPS v1 scorer on the WebGPU EP (lavapipe here). float32 holds the fixture tolerance; the GPU default,
// fp16 weights with fp32 softmax/LayerNorm, is held to a stated looser one: measured relative error 2.2e-3
// (image) / 5.2e-3 (text) and cosine max|Δ| 1.9e-3, so features ≤ 1e-2 and cosine ≤ 5e-3.
import { describe, expect, it } from 'vitest';
import { createScorer, type ComputePrecision, type ScoreEntry } from '../../main/services/scoring';
import { f32, fixture, IMAGES, maxAbsDiff, PROMPTS, relativeError, VOCAB } from './clip-fixtures';
import { expectWithin } from '../parity';

const TOLERANCE: Record<ComputePrecision, { features: number; cosine: number }> = {
  fp32: { features: 1e-4, cosine: 1e-4 },
  fp16: { features: 1e-2, cosine: 5e-3 },
};

describe.each(['fp32', 'fp16'] as const)('hps-v1 scorer on webgpu, %s', (precision) => {
  it('matches the v1 fixtures within the stated tolerance', async () => {
    const scorer = await createScorer({
      kind: 'hps-v1',
      model: fixture('hps_v1_tiny.pt'),
      vocab: VOCAB,
      ep: 'webgpu',
      precision,
    });
    try {
      expect(scorer.ep).toBe('webgpu');
      const images = await scorer.encodeImages(IMAGES, { batchSize: 7 });
      const imageFeatures = new Float32Array(images.flatMap((e) => Array.from(e.features!)));
      const textFeatures = new Float32Array(
        (await scorer.encodeTexts(PROMPTS)).flatMap((t) => Array.from(t)),
      );
      const rows = (await scorer.score(IMAGES, PROMPTS)) as ScoreEntry[];
      const imageErr = relativeError(imageFeatures, f32('v1_image_features.f32'));
      const textErr = relativeError(textFeatures, f32('v1_text_features.f32'));
      const cosErr = maxAbsDiff(
        Float32Array.from(rows, (r) => r.cosine!),
        f32('v1_cosine.f32'),
      );
      expectWithin(
        `webgpu ${precision}: v1 image features (relative)`,
        imageErr,
        TOLERANCE[precision].features,
      );
      expectWithin(
        `webgpu ${precision}: v1 text features (relative)`,
        textErr,
        TOLERANCE[precision].features,
      );
      expectWithin(`webgpu ${precision}: v1 cosine max |Δ|`, cosErr, TOLERANCE[precision].cosine);
    } finally {
      await scorer.close();
    }
  });
});
