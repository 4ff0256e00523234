/** How a single-file tensor becomes a diffusers tensor. */
export type TensorTransform =
  /** Same values, same shape. */
  | { kind: 'copy' }
  /** LDM's VAE attention stores [C, C, 1, 1] convolutions; diffusers holds [C, C] linear weights. */
  | { kind: 'conv1x1-to-linear' }
  /** The `part`-th of `parts` equal blocks of rows (dimension 0): fused q/k/v projections. */
  | { kind: 'rows'; part: number; parts: number };
