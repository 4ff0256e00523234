// The LoRA variant of the fixture step (../shared/fixtures/clip, v1_train): at initialisation (up = 0) the
// adapted model is the base, so the head's gradients are the reference's, and each LoRA up-factor's gradient
// is scale · (reference gradient of its weight) · downᵀ — checked for the last blocks, whose weight
// gradients the fixture lists. Down-factors get zero gradient while up = 0. Where the fixture itself is limited
// by float32 (fixture-limited.ts), the head's gradient is checked against the float64 recomputation instead.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStateDict, toFloat32 } from '../../main/checkpoints';
import { eotIndices } from '../../main/models/clip';
import { loadBaseModel } from '../../main/services/preference-training/base-model';
import { loraDown, loraUp } from '../../main/services/preference-training/graphs';
import { PreferenceSessions, type StepResult } from '../../main/services/preference-training/model-sessions';
import { f32, fixture, i32, relativeError } from '../models/clip-fixtures';
import { expectWithin } from '../parity';
import { FIXTURE_LIMITED, FLOAT32_RESOLUTION, errorPerShare } from './fixture-limited';
import { Float64Clip, readWeights } from './float64-clip';
import { type ExactStep, exactPreferenceStep } from './float64-step';

const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as { v1_train: { loss: number } };

const LORA = { rank: 4, alpha: 8 };
const HEAD = [
  'visual.proj',
  'visual.ln_post.weight',
  'visual.ln_post.bias',
  'text_projection',
  'ln_final.weight',
  'ln_final.bias',
  'logit_scale',
];
const ADAPTED = [
  'visual.transformer.resblocks.1.attn.in_proj_weight',
  'visual.transformer.resblocks.1.attn.out_proj.weight',
  'transformer.resblocks.1.attn.in_proj_weight',
  'transformer.resblocks.1.attn.out_proj.weight',
];

let workDir: string;
let sessions: PreferenceSessions;
let result: StepResult;
let reference: Map<string, Float32Array>;
let exact: ExactStep;

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'pref-lora-'));
  const base = await loadBaseModel('hps-v1', fixture('hps_v1_tiny.pt'));
  sessions = new PreferenceSessions(base, 0, { workDir, lora: LORA, seed: 1 });
  const tokens = i32('v1_tokens.i32').slice(0, 77);
  const pixels = f32('v1_pixels.f32').slice(0, 2 * 3 * 224 * 224);
  const imageHidden = await sessions.imageHidden(pixels, 2);
  const text = await sessions.textHidden(tokens, eotIndices(tokens, 77));
  result = await sessions.step(imageHidden, text, Float32Array.of(1, 0), 2);
  const grads = await loadStateDict(fixture('v1_train_grads.safetensors'));
  reference = new Map();
  for (const [name, t] of grads.tensors) reference.set(name, toFloat32(t.dtype, await t.read()));
  await grads.close();
  const clip = new Float64Clip(await readWeights(fixture('hps_v1_tiny.pt')));
  const size = 3 * 224 * 224;
  const images = [0, 1].map((i) => Float64Array.from(pixels.subarray(i * size, (i + 1) * size)));
  exact = exactPreferenceStep(clip, images, tokens, 0);
}, 120_000);

afterAll(async () => {
  await sessions?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
});

/** scale · G [out, in] · downᵀ [in, rank] → [out, rank]. */
function expectedUpGrad(g: Float32Array, down: Float32Array, out: number, inFeatures: number): Float32Array {
  const { rank, alpha } = LORA;
  const result = new Float32Array(out * rank);
  for (let o = 0; o < out; o++)
    for (let r = 0; r < rank; r++) {
      let sum = 0;
      for (let i = 0; i < inFeatures; i++) sum += g[o * inFeatures + i]! * down[r * inFeatures + i]!;
      result[o * rank + r] = (alpha / rank) * sum;
    }
  return result;
}

describe('LoRA preference step (hps_v1_tiny, rank 4, every attention projection)', () => {
  it('trains a down/up pair per attention projection of both towers plus the head', () => {
    expect(sessions.trainable.filter((n) => n.endsWith('.lora_down'))).toHaveLength(8);
    expect(sessions.trainable).toEqual(expect.arrayContaining(HEAD));
  });

  it('loss equals v1_train.loss (the adapted model starts as the base)', () => {
    const relative = Math.abs(result.loss - manifest.v1_train.loss) / manifest.v1_train.loss;
    expectWithin('LoRA step loss vs v1_train.loss', relative, 1e-4);
  });

  it.each(HEAD.filter((n) => !FIXTURE_LIMITED.includes(n)))(
    'head gradient %s matches the reference within 1e-4',
    (name) => {
      expectWithin(
        `LoRA head ${name} vs fixture`,
        relativeError(result.grads[name]!, reference.get(name)!),
        1e-4,
      );
    },
  );

  it.each(HEAD.filter((n) => FIXTURE_LIMITED.includes(n)))(
    'head gradient %s is within float32 resolution of the exact gradient (the fixture is limited there)',
    (name) => {
      const [share] = exact.shares.get(name)!;
      expectWithin(
        `LoRA head ${name} vs exact, per share`,
        errorPerShare(result.grads[name]!, exact.grads.get(name)!, share!),
        FLOAT32_RESOLUTION,
      );
    },
  );

  it.each(ADAPTED)('up-factor gradient of %s is scale · G · downᵀ within 1e-4', (target) => {
    const [out, inFeatures] = sessions.shape(target) as [number, number];
    const expected = expectedUpGrad(
      reference.get(target)!,
      sessions.params[loraDown(target)]!,
      out,
      inFeatures,
    );
    const error = relativeError(result.grads[loraUp(target)]!, expected);
    expectWithin(`LoRA up-factor of ${target} vs scale · G · downᵀ`, error, 1e-4);
    expect(Math.max(...result.grads[loraDown(target)]!.map(Math.abs))).toBe(0);
  });
});
