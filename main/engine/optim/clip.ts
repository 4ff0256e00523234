// Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_: the norm of all gradients
// concatenated; when it exceeds maxNorm every gradient is scaled by maxNorm / (norm + 1e-6).
import type { TensorSet } from './params';

export interface ClipOptions {
  /** Throw instead of scaling when the norm is NaN or infinite (torch's error_if_nonfinite). */
  errorIfNonfinite?: boolean;
}

/** Scales the gradients in place when needed; returns the total norm before clipping. */
export function clipGradNorm(grads: TensorSet, maxNorm: number, options: ClipOptions = {}): number {
  if (!(maxNorm > 0)) throw new Error(`clipGradNorm: maxNorm must be > 0, got ${maxNorm}`);
  const total = globalNorm(grads);
  if (!Number.isFinite(total) && options.errorIfNonfinite) {
    throw new Error(`clipGradNorm: the total gradient norm is ${total}`);
  }
  const coef = maxNorm / (total + 1e-6);
  if (coef < 1 || Number.isNaN(coef)) {
    for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) g[i] = g[i]! * coef;
  }
  return total;
}

export function globalNorm(grads: Readonly<TensorSet>): number {
  let sumSquares = 0;
  for (const g of Object.values(grads)) for (let i = 0; i < g.length; i++) sumSquares += g[i]! * g[i]!;
  return Math.sqrt(sumSquares);
}
