// A generated image with its seed (the caller's: a label, or a button that reuses it) and its score chips.
import type { ReactNode } from 'react';
import { useApi } from '../../api/hooks';
import { GeneratedChips, type Batch } from './GeneratedChips';
import './generated-image.css';

export function GeneratedImage({
  batch,
  image,
  seed,
}: {
  batch: Batch;
  image: Batch['images'][number];
  seed: ReactNode;
}) {
  const api = useApi();
  return (
    <figure className="gen-image">
      <img src={api.imageUrl(image.path)} alt={`seed ${image.seed}`} />
      <figcaption>
        {seed}
        <GeneratedChips batch={batch} image={image} />
      </figcaption>
    </figure>
  );
}
