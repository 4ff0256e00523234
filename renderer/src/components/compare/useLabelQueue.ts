// The labeling loop: the current item, the next one fetched and decoded ahead, committed submits (the UI
// advances only after the server answers) and undo that returns to the last judged item.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { CallInput, CallOutput } from '../../../../main/contract';
import { useApi } from '../../api/hooks';
import { idempotencyKey, preloadImages } from './preload';

export type LabelItem = NonNullable<CallOutput<'labeling.next'>['item']>;
export type Progress = CallOutput<'labeling.next'>['progress'];
export type Decision = Pick<CallInput<'labeling.submit'>, 'kind' | 'chosenImageId' | 'ranking'>;

interface Shown {
  item: LabelItem;
  /** Reused if the same item is submitted again after a failure, so a lost answer is not stored twice. */
  key: string;
  shownAt: number;
}

export interface SessionStats {
  judged: number;
  ties: number;
  skips: number;
  bothBad: number;
  decisionMs: number[];
  startedAt: number;
  /** When the latest judgment was stored (for the items-per-minute rate). */
  lastAt: number;
}

const show = (item: LabelItem): Shown => ({ item, key: idempotencyKey(), shownAt: performance.now() });

export function useLabelQueue() {
  const api = useApi();
  const [current, setCurrent] = useState<Shown | null>(null);
  const [loading, setLoading] = useState(true);
  const [progress, setProgress] = useState<Progress | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [stats, setStats] = useState<SessionStats>(() => ({
    judged: 0,
    ties: 0,
    skips: 0,
    bothBad: 0,
    decisionMs: [],
    startedAt: Date.now(),
    lastAt: Date.now(),
  }));
  const next = useRef<Promise<LabelItem | null> | null>(null);
  const busyRef = useRef(false);
  const urls = useCallback((item: LabelItem) => item.images.map((i) => api.imageUrl(i.path)), [api]);

  const fetchNext = useCallback(
    async (exclude: number[]): Promise<CallOutput<'labeling.next'>> => {
      const answer = await api.call('labeling.next', { exclude });
      if (answer.item) await preloadImages(urls(answer.item));
      return answer;
    },
    [api, urls],
  );

  const prefetch = useCallback(
    (held: number[]) => {
      next.current = fetchNext(held).then(
        (answer) => answer.item,
        () => null,
      );
    },
    [fetchNext],
  );

  useEffect(() => {
    let live = true;
    fetchNext([])
      .then(({ item, progress: p }) => {
        if (!live) return;
        setProgress(p);
        setCurrent(item ? show(item) : null);
        if (item) prefetch([item.comparisonId]);
      })
      .catch((e: Error) => live && setError(e.message))
      .finally(() => live && setLoading(false));
    return () => {
      live = false;
    };
  }, [fetchNext, prefetch]);

  const advance = useCallback(
    async (justJudged: number) => {
      let item = next.current ? await next.current : null;
      if (!item || item.comparisonId === justJudged) item = (await fetchNext([justJudged])).item;
      setCurrent(item ? show(item) : null);
      if (item) prefetch([item.comparisonId]);
    },
    [fetchNext, prefetch],
  );

  const submit = useCallback(
    async (decision: Decision) => {
      if (!current || busyRef.current) return;
      busyRef.current = true;
      setBusy(true);
      const decisionMs = Math.round(performance.now() - current.shownAt);
      try {
        await api.call('labeling.submit', {
          comparisonId: current.item.comparisonId,
          shownOrder: current.item.shownOrder,
          decisionMs,
          idempotencyKey: current.key,
          chosenImageId: decision.chosenImageId ?? null,
          ranking: decision.ranking ?? null,
          kind: decision.kind,
        });
        setError(null);
        setStats((s) => ({
          ...s,
          judged: s.judged + (decision.kind === 'skip' ? 0 : 1),
          ties: s.ties + (decision.kind === 'tie' ? 1 : 0),
          skips: s.skips + (decision.kind === 'skip' ? 1 : 0),
          bothBad: s.bothBad + (decision.kind === 'both-bad' ? 1 : 0),
          decisionMs: decision.kind === 'skip' ? s.decisionMs : [...s.decisionMs, decisionMs],
          lastAt: Date.now(),
        }));
        await advance(current.item.comparisonId);
        void api.call('labeling.progress', {}).then(setProgress, () => undefined);
      } catch (e) {
        // Not committed (or not known to be): stay on the item so nothing is lost.
        setError(`Not saved — ${(e as Error).message}. Your choice was not recorded; try again.`);
      } finally {
        busyRef.current = false;
        setBusy(false);
      }
    },
    [advance, api, current],
  );

  const undo = useCallback(async () => {
    if (busyRef.current) return;
    busyRef.current = true;
    setBusy(true);
    try {
      const result = await api.call('labeling.undo', {});
      setProgress(result.progress);
      setError(null);
      if (!result.item) return;
      await preloadImages(urls(result.item));
      // The item we leave comes straight back after the undone one is judged again.
      const displaced = current?.item ?? null;
      next.current = Promise.resolve(displaced);
      setCurrent(show(result.item));
      setStats((s) => ({ ...s, judged: Math.max(0, s.judged - (result.undone?.kind === 'skip' ? 0 : 1)) }));
    } catch (e) {
      setError(`Undo failed — ${(e as Error).message}`);
    } finally {
      busyRef.current = false;
      setBusy(false);
    }
  }, [api, current, urls]);

  /** A scorer finished an image of the current item: show its chip without refetching. */
  const patchScore = useCallback((imageId: number, modelId: string, score: number) => {
    setCurrent((shown) => {
      if (!shown || !shown.item.images.some((i) => i.id === imageId)) return shown;
      const images = shown.item.images.map((image) =>
        image.id !== imageId
          ? image
          : { ...image, scores: [...image.scores.filter((s) => s.modelId !== modelId), { modelId, score }] },
      );
      return { ...shown, item: { ...shown.item, images } };
    });
  }, []);

  return { current: current?.item ?? null, loading, progress, error, busy, stats, submit, undo, patchScore };
}
