import { describe, expect, it } from 'vitest';
import { latentToRgbPreview } from '../../main/services/diffusion/preview';

describe('latent → RGB preview (ComfyUI SD1.5 factors)', () => {
  it('maps a hand-computed pixel', () => {
    // Latent [4, 1, 2]: pixel 0 = (1, 0.5, -0.25, 0.1), pixel 1 = (−4, 0, 0, 0).
    const latent = new Float32Array([1, -4, 0.5, 0, -0.25, 0, 0.1, 0]);
    const { width, height, data } = latentToRgbPreview(latent, [4, 1, 2]);
    expect([width, height]).toEqual([2, 1]);
    // R = 0.3512 + 0.5·0.3250 − 0.25·(−0.2829) + 0.1·(−0.2120) = 0.563925 → (1.563925/2)·255 = 199.40 → 199
    // G = 0.2297 + 0.2487 − 0.04405 − 0.02616 = 0.40819 → 179.54 → 179
    // B = 0.3227 + 0.1175 − 0.068025 − 0.07177 = 0.300405 → 165.80 → 165
    expect(Array.from(data.slice(0, 3))).toEqual([199, 179, 165]);
    // Pixel 1: R = −1.4048 and B = −1.2908 clamp to 0; G = −0.9188 → (0.0812/2)·255 = 10.35 → 10.
    expect(Array.from(data.slice(3))).toEqual([0, 10, 0]);
  });

  it('clamps bright values to 255 and takes the first batch item', () => {
    const latent = new Float32Array([10, 10, 0, 0, 0, 0, 0, 0, /* second item */ 9, 9, 9, 9, 9, 9, 9, 9]);
    const { data } = latentToRgbPreview(latent, [2, 4, 1, 1]);
    // 10·(0.3512, 0.2297, 0.3227) + 10·(0.3250, 0.4974, 0.2350): every channel > 1.
    expect(Array.from(data)).toEqual([255, 255, 255]);
  });

  it('rejects latents that are not 4-channel', () => {
    expect(() => latentToRgbPreview(new Float32Array(3), [3, 1, 1])).toThrow(/\[4, h, w\]/);
  });
});
