// One preference-training step against the PyTorch reference (../shared/fixtures/clip, manifest v1_train):
// hps_v1_tiny, prompt 0 vs images 0 and 1 with image 0 preferred, logits = exp(logit_scale)·cosine,
// cross-entropy. Loss and every listed gradient within 1e-4 relative error (fixtures README).
import { mkdtemp, rm } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadStateDict, toFloat32 } from '../../main/checkpoints';
import { eotIndices } from '../../main/models/clip';
import { loadBaseModel } from '../../main/services/preference-training/base-model';
import { PreferenceSessions, type StepResult } from '../../main/services/preference-training/model-sessions';
import { f32, fixture, i32, relativeError } from '../models/clip-fixtures';
import { Float64Clip, gradient, preferenceLoss, readWeights } from './float64-clip';

const manifest = JSON.parse(readFileSync(fixture('manifest.json'), 'utf8')) as { v1_train: { loss: number } };
const IMAGE_SIZE = 3 * 224 * 224;

/** Tensor names from the safetensors header (8-byte length, then JSON), read at collection time. */
function safetensorsNames(file: string): string[] {
  const bytes = readFileSync(file);
  const length = Number(bytes.readBigUInt64LE(0));
  return Object.keys(JSON.parse(bytes.subarray(8, 8 + length).toString('utf8')) as object).filter(
    (k) => k !== '__metadata__',
  );
}
const GRADIENT_NAMES = safetensorsNames(fixture('v1_train_grads.safetensors'));
/**
 * Known mismatch, reported rather than hidden: this tensor's gradient is the sum of the two images'
 * contributions, vectors of norm 0.64 that cancel to 1.3e-3 (495 : 1), so a few float32 roundings of the
 * contributions already move the sum by ~1e-4 relative. The exact (float64) gradient is computed below: the
 * fixture is 1.19e-4 from it and our float32 result 1.18e-4 (each ~2.4e-7 of a contribution, float32's
 * resolution), so no float32 computation but torch's own bit for bit meets 1e-4 against the fixture. Skipped
 * (counted as skipped), tolerance kept; the test below that proves the fixture's own error will fail, and
 * flag this skip, should the fixture ever be regenerated closer to the exact value.
 */
const FLOAT32_CANCELLATION = new Set(['visual.transformer.resblocks.1.mlp.c_proj.bias']);

let workDir: string;
let sessions: PreferenceSessions;
let result: StepResult;
let pixels: Float32Array;
let tokens: Int32Array;
const report: string[] = [];

beforeAll(async () => {
  workDir = await mkdtemp(path.join(os.tmpdir(), 'pref-fixture-'));
  const base = await loadBaseModel('hps-v1', fixture('hps_v1_tiny.pt'));
  sessions = new PreferenceSessions(base, 1, { workDir });
  pixels = f32('v1_pixels.f32').slice(0, 2 * IMAGE_SIZE);
  tokens = i32('v1_tokens.i32').slice(0, 77);
  const imageHidden = await sessions.imageHidden(pixels, 2);
  const text = await sessions.textHidden(tokens, eotIndices(tokens, 77));
  result = await sessions.step(imageHidden, text, Float32Array.of(1, 0), 2);
});

afterAll(async () => {
  await sessions?.close();
  if (workDir) await rm(workDir, { recursive: true, force: true });
  console.log(report.join('\n'));
});

describe('preference training step (hps_v1_tiny, last block of each tower)', () => {
  it('loss equals v1_train.loss', () => {
    report.push(`loss ${result.loss} vs reference ${manifest.v1_train.loss}`);
    expect(Math.abs(result.loss - manifest.v1_train.loss) / manifest.v1_train.loss).toBeLessThan(1e-4);
  });

  it('trains exactly the tensors the reference lists', () => {
    expect(new Set(Object.keys(result.grads))).toEqual(new Set(GRADIENT_NAMES));
  });

  it.skip.each([...FLOAT32_CANCELLATION])(
    'gradient of %s within 1e-4 relative error (float32 cancellation)',
    () => {},
  );

  it.each(GRADIENT_NAMES.filter((n) => !FLOAT32_CANCELLATION.has(n)))(
    'gradient of %s within 1e-4 relative error',
    async (name) => {
      const reference = await loadStateDict(fixture('v1_train_grads.safetensors'));
      try {
        const tensor = reference.tensors.get(name)!;
        const error = relativeError(result.grads[name]!, toFloat32(tensor.dtype, await tensor.read()));
        report.push(`grad ${name}: relative error ${error.toExponential(2)}`);
        expect(error).toBeLessThan(1e-4);
      } finally {
        await reference.close();
      }
    },
  );
});

/** The fixture's gradients by name, as float32 arrays. */
async function referenceGradient(name: string): Promise<Float32Array> {
  const reference = await loadStateDict(fixture('v1_train_grads.safetensors'));
  try {
    const tensor = reference.tensors.get(name)!;
    return toFloat32(tensor.dtype, await tensor.read());
  } finally {
    await reference.close();
  }
}

describe('the class-token gradients against an exact float64 reference (tests/preference/float64-clip.ts)', () => {
  let clip: Float64Clip;
  let classTokens: Float64Array[];
  let text: Float64Array;
  /** The loss as a function of shifts added to both images' class tokens, or to both ln_post outputs. */
  let loss: (shift: { classToken?: Float64Array[]; lnPost?: Float64Array[] }) => number;

  beforeAll(async () => {
    clip = new Float64Clip(await readWeights(fixture('hps_v1_tiny.pt')));
    classTokens = [0, 1].map((i) =>
      clip.visionClassToken(Float64Array.from(pixels.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE))),
    );
    text = clip.textFeatures(tokens);
    loss = ({ classToken, lnPost }) => {
      const features = classTokens.map((token, i) => {
        const shifted = classToken ? token.map((v, k) => v + classToken[i]![k]!) : token;
        const normed = clip.layerNorm({ rows: 1, cols: token.length, data: shifted }, 'visual.ln_post').data;
        return clip.project(lnPost ? normed.map((v, k) => v + lnPost[i]![k]!) : normed, 'visual.proj');
      });
      return preferenceLoss(features, text, clip.logitScale(), 0);
    };
  }, 60_000);

  /** The exact gradient of a tensor added to both images (a bias), and each image's share of it. */
  const exactGradient = (where: 'classToken' | 'lnPost') => {
    const width = classTokens[0]!.length;
    const zero = new Float64Array(width);
    const both = gradient((v) => loss({ [where]: [v, v] }), zero);
    const shares = [0, 1].map((i) =>
      gradient((v) => loss({ [where]: i === 0 ? [v, zero] : [zero, v] }), zero),
    );
    return { both, shares };
  };
  const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
  const distance = (a: ArrayLike<number>, b: ArrayLike<number>) => norm(Array.from(a, (v, i) => v - b[i]!));

  it('reproduces the fixture loss (the reference is the fixture’s computation)', () => {
    const exact = loss({});
    report.push(`float64 reference loss ${exact}`);
    expect(Math.abs(exact - manifest.v1_train.loss) / manifest.v1_train.loss).toBeLessThan(1e-4);
    expect(Math.abs(exact - result.loss) / exact).toBeLessThan(1e-4);
  });

  it.each([
    ['visual.transformer.resblocks.1.mlp.c_proj.bias', 'classToken'],
    ['visual.ln_post.bias', 'lnPost'],
  ] as const)(
    '%s: ours and the fixture are both within float32 resolution of the exact gradient',
    async (name, where) => {
      const { both, shares } = exactGradient(where);
      const share = norm(shares[0]!);
      const fixtureGradient = await referenceGradient(name);
      const ours = result.grads[name]!;
      report.push(
        `${name}: shares ${share.toExponential(2)} cancel to ${norm(both).toExponential(2)}; ` +
          `relative to the exact gradient: fixture ${relativeError(fixtureGradient, both).toExponential(2)}, ours ${relativeError(ours, both).toExponential(2)}`,
      );
      expect(
        distance(
          shares[0]!.map((v, k) => v + shares[1]![k]!),
          both,
        ) / norm(both),
      ).toBeLessThan(1e-6);
      // Measured against one image's share, as float32 sees it: a few units in the last place.
      expect(distance(ours, both) / share).toBeLessThan(1e-6);
      expect(distance(fixtureGradient, both) / share).toBeLessThan(1e-6);
    },
  );

  it('shows the skipped tensor’s fixture value is itself more than 1e-4 from the exact gradient', async () => {
    const name = [...FLOAT32_CANCELLATION][0]!;
    const fixtureGradient = await referenceGradient(name);
    expect(relativeError(fixtureGradient, exactGradient('classToken').both)).toBeGreaterThan(1e-4);
  });
});
