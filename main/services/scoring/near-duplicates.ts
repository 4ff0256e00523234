// Near-duplicates by image embedding: images whose L2-normalised features have cosine ≥ threshold are linked,
// and linked images form one group (single linkage, so a chain of close re-encodes stays together).
import { dot, normalized } from './math';

export interface EmbeddedImage<Id> {
  id: Id;
  features: Float32Array;
}

export interface NearDuplicateGroup<Id> {
  ids: Id[];
  /** The lowest cosine among the links that formed the group. */
  minCosine: number;
}

export function nearDuplicateGroups<Id>(
  images: readonly EmbeddedImage<Id>[],
  threshold: number,
): NearDuplicateGroup<Id>[] {
  const unit = images.map((image) => normalized(image.features));
  const parent = images.map((_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const minLink = new Map<number, number>();
  for (let i = 0; i < unit.length; i++) {
    for (let j = i + 1; j < unit.length; j++) {
      const cosine = dot(unit[i]!, unit[j]!);
      if (cosine < threshold) continue;
      const [a, b] = [root(i), root(j)];
      const low = Math.min(cosine, minLink.get(a) ?? Infinity, minLink.get(b) ?? Infinity);
      if (a !== b) parent[b] = a;
      minLink.set(a, low);
    }
  }
  const groups = new Map<number, Id[]>();
  images.forEach((image, i) => {
    const r = root(i);
    if (minLink.has(r)) groups.set(r, [...(groups.get(r) ?? []), image.id]);
  });
  return [...groups].map(([r, ids]) => ({ ids, minCosine: minLink.get(r)! }));
}
