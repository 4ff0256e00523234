// The images of one item side by side, in the order the server chose, under one shared zoom/pan.
import { useEffect, useLayoutEffect, useRef } from 'react';
import { useApi } from '../../api/hooks';
import { ScoreChips } from './ScoreChips';
import type { LabelItem } from './useLabelQueue';
import { transformOf, type View } from './useSyncedZoom';

interface StageProps {
  item: LabelItem;
  view: View;
  onWheel: (event: WheelEvent, pane: HTMLElement) => void;
  onPointerDown: (event: React.PointerEvent<HTMLElement>) => void;
  onReset: () => void;
  showScores: boolean;
  scorers: string[];
  /** Image ids in the order picked so far (N-way ordering). */
  ranking: number[];
  /** Called once the item's images are in the frame being painted. */
  onShown: (comparisonId: number) => void;
}

const loaded = (img: HTMLImageElement) =>
  img.complete
    ? Promise.resolve()
    : new Promise<void>((resolve) => {
        img.addEventListener('load', () => resolve(), { once: true });
        img.addEventListener('error', () => resolve(), { once: true });
      });

const columns = (n: number) => (n <= 3 ? n : n === 4 ? 2 : 3);

export function Stage({
  item,
  view,
  onWheel,
  onPointerDown,
  onReset,
  showScores,
  scorers,
  ranking,
  onShown,
}: StageProps) {
  const api = useApi();
  const stage = useRef<HTMLDivElement>(null);

  useEffect(() => {
    const panes = [...(stage.current?.querySelectorAll<HTMLElement>('.pane-view') ?? [])];
    const handlers = panes.map((pane) => {
      const handler = (e: WheelEvent) => onWheel(e, pane);
      pane.addEventListener('wheel', handler, { passive: false });
      return () => pane.removeEventListener('wheel', handler);
    });
    return () => handlers.forEach((off) => off());
  }, [item.comparisonId, onWheel]);

  // "On screen": every image of the new item has loaded, reported from the next animation frame.
  useLayoutEffect(() => {
    const images = [...(stage.current?.querySelectorAll('img') ?? [])];
    let cancelled = false;
    Promise.all(images.map(loaded)).then(() =>
      requestAnimationFrame(() => !cancelled && onShown(item.comparisonId)),
    );
    return () => {
      cancelled = true;
    };
  }, [item.comparisonId, onShown]);

  const n = item.images.length;
  return (
    <div
      ref={stage}
      className="stage"
      style={{ gridTemplateColumns: `repeat(${columns(n)}, 1fr)` }}
      data-count={n}
      data-comparison-id={item.comparisonId}
    >
      {item.images.map((image, index) => {
        const rank = ranking.indexOf(image.id);
        return (
          <figure key={image.id} className="pane" data-image-id={image.id}>
            <div className="pane-view" onPointerDown={onPointerDown} onDoubleClick={onReset}>
              <img
                src={api.imageUrl(image.path)}
                alt={`Image ${index + 1} of ${n}`}
                draggable={false}
                style={{ transform: transformOf(view) }}
              />
              <span className="pane-key" aria-hidden>
                {n === 2 ? (index === 0 ? '← 1' : '2 →') : index + 1}
              </span>
              {rank >= 0 && <span className="pane-rank">#{rank + 1}</span>}
            </div>
            <figcaption>{showScores && <ScoreChips image={image} scorers={scorers} />}</figcaption>
          </figure>
        );
      })}
    </div>
  );
}
