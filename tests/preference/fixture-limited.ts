// The v1_train tensors whose float32 fixture gradient is more than half the 1e-4 tolerance from the exact
// (float64) gradient, and the float32-resolution measure ours is held to there instead (fixture-step.test.ts
// asserts this list against float64-step.ts). Measured when the list was written: logit_scale 7.4e-5, the last
// vision block's attn.out_proj.bias 6.4e-5 and mlp.c_proj.bias 1.19e-4, visual.ln_post.bias 8.9e-5. All are
// shared by both images, whose per-image shares nearly cancel.
export const FIXTURE_LIMITED = [
  'logit_scale',
  'visual.transformer.resblocks.1.attn.out_proj.bias',
  'visual.transformer.resblocks.1.mlp.c_proj.bias',
  'visual.ln_post.bias',
];

/** float32 resolves a sum of shares to about 1e-7 of a share: the limit ours is held to on these tensors. */
export const FLOAT32_RESOLUTION = 1e-6;

const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));

/** ‖ours − exact‖ measured against one image's share of the exact gradient. */
export function errorPerShare(
  ours: ArrayLike<number>,
  exact: ArrayLike<number>,
  share: ArrayLike<number>,
): number {
  return norm(Array.from(ours, (v, i) => v - exact[i]!)) / norm(share);
}
