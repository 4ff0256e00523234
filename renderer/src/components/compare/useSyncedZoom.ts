// One zoom/pan transform shared by every pane of the compare stage (so both images show the same region)
// and kept across items. Wheel zooms about the pointer, drag pans, double-click resets.
import { useCallback, useState, type PointerEvent as ReactPointerEvent } from 'react';

export interface View {
  scale: number;
  x: number;
  y: number;
}

export const IDENTITY: View = { scale: 1, x: 0, y: 0 };
const MAX_SCALE = 16;

export function useSyncedZoom() {
  const [view, setView] = useState<View>(IDENTITY);

  /** Attached per pane with { passive: false } so the page does not scroll while zooming. */
  const onWheel = useCallback((event: WheelEvent, pane: HTMLElement) => {
    event.preventDefault();
    const rect = pane.getBoundingClientRect();
    // Pointer relative to the pane centre, where the transform origin is.
    const px = event.clientX - rect.left - rect.width / 2;
    const py = event.clientY - rect.top - rect.height / 2;
    setView((v) => {
      const scale = Math.min(MAX_SCALE, Math.max(1, v.scale * Math.exp(-event.deltaY * 0.0015)));
      if (scale === 1) return IDENTITY;
      const k = scale / v.scale;
      return { scale, x: px - (px - v.x) * k, y: py - (py - v.y) * k };
    });
  }, []);

  const onPointerDown = useCallback((event: ReactPointerEvent<HTMLElement>) => {
    if (event.button !== 0) return;
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    let lastX = event.clientX;
    let lastY = event.clientY;
    const move = (e: PointerEvent) => {
      const dx = e.clientX - lastX;
      const dy = e.clientY - lastY;
      lastX = e.clientX;
      lastY = e.clientY;
      setView((v) => (v.scale === 1 ? v : { ...v, x: v.x + dx, y: v.y + dy }));
    };
    const up = () => {
      target.removeEventListener('pointermove', move);
      target.removeEventListener('pointerup', up);
      target.removeEventListener('pointercancel', up);
    };
    target.addEventListener('pointermove', move);
    target.addEventListener('pointerup', up);
    target.addEventListener('pointercancel', up);
  }, []);

  const reset = useCallback(() => setView(IDENTITY), []);
  return { view, onWheel, onPointerDown, reset };
}

export const transformOf = (v: View) => `translate(${v.x}px, ${v.y}px) scale(${v.scale})`;
