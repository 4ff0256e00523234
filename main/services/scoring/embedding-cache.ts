// Image embeddings keyed by (model id, sha256 of the image file): re-scoring a library against new prompts
// costs only text encodes. Least recently used entries go first once the entry limit is reached.

export interface EmbeddingStore {
  get(modelId: string, contentHash: string): Float32Array | undefined;
  set(modelId: string, contentHash: string, features: Float32Array): void;
}

export class EmbeddingCache implements EmbeddingStore {
  private readonly entries = new Map<string, Float32Array>();

  constructor(private readonly maxEntries = 100_000) {}

  get size(): number {
    return this.entries.size;
  }

  get(modelId: string, contentHash: string): Float32Array | undefined {
    const key = `${modelId}\0${contentHash}`;
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
    }
    return hit;
  }

  set(modelId: string, contentHash: string, features: Float32Array): void {
    const key = `${modelId}\0${contentHash}`;
    this.entries.delete(key);
    this.entries.set(key, features);
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
