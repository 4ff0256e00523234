// The training-time towers (cached frozen prefix, then the suffix whose last block computes only the pooled
// row) must equal encode_image / encode_text: the clip fixtures' features within 1e-4 relative error, for
// every split point, for HPS v1 (QuickGELU) and HPS v2 (GELU, L2-normalised features).
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { eotIndices } from '../../main/models/clip';
import { loadBaseModel, type BaseModel } from '../../main/services/preference-training/base-model';
import { PreferenceSessions } from '../../main/services/preference-training/model-sessions';
import { f32, fixture, i32, normalizeRows, relativeError } from '../models/clip-fixtures';
import { expectWithin } from '../parity';

let workDir: string;
const bases: Record<'v1' | 'v2', BaseModel> = {} as never;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'pref-split-'));
  bases.v1 = await loadBaseModel('hps-v1', fixture('hps_v1_tiny.pt'));
  bases.v2 = await loadBaseModel('hps-v2', fixture('hps_v2_tiny.pt'));
});

afterAll(() => rm(workDir, { recursive: true, force: true }));

describe.each([
  ['v1', 0],
  ['v1', 1],
  ['v1', 2],
  ['v2', 1],
] as const)('hps-%s towers split before the last %i block(s)', (version, blocks) => {
  it('image and text features match the fixtures', async () => {
    const sessions = new PreferenceSessions(bases[version], blocks, { workDir });
    try {
      const tokens = i32(`${version}_tokens.i32`);
      const images = await sessions.imageFeatures(
        await sessions.imageHidden(f32(`${version}_pixels.f32`), 7),
      );
      const texts = await sessions.textFeatures(await sessions.textHidden(tokens, eotIndices(tokens, 77)));
      // v1 fixtures are encode_image/encode_text outputs; v2's are L2-normalised.
      const norm = (x: Float32Array) => (version === 'v2' ? normalizeRows(x, 64) : x);
      expectWithin(
        `${version} split towers: image features`,
        relativeError(norm(images), f32(`${version}_image_features.f32`)),
        1e-4,
      );
      expectWithin(
        `${version} split towers: text features`,
        relativeError(norm(texts), f32(`${version}_text_features.f32`)),
        1e-4,
      );
    } finally {
      await sessions.close();
    }
  });
});
