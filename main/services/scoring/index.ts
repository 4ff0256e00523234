// Scoring service: HPS v1, HPS v2/v2.1, CLIP score, LAION aesthetic and PickScore behind one interface.
//
//   const scorer = await createScorer({ kind: 'hps-v2', model: 'HPS_v2.1_compressed.pt', vocab: 'bpe_simple_vocab_16e6.txt.gz' });
//   const rows = await scorer.score(['a.png', 'b.jpg'], ['a cat'], { batchSize: 8, onProgress });
//   // [{ image, prompt, cosine, score }] or { image, error } for unreadable images
//   await scorer.close();
//
// Pass one EmbeddingCache to several scorers (or keep the scorer) so re-scoring costs only text encodes.
import { ClipScorer, type ScorerOptions } from './clip-scorer';
import type { Scorer } from './types';

export function createScorer(options: ScorerOptions): Promise<Scorer> {
  return ClipScorer.create(options);
}

export { KIND_SPECS, type KindSpec } from './kinds';
export { EmbeddingCache, type EmbeddingStore } from './embedding-cache';
export type { ComputePrecision } from '../../engine/runtime';
export type { ScorerOptions } from './clip-scorer';
export * from './types';
