// Fetch and decode the next item's images before they are needed, so switching items is a cache hit.
// The decoded <img> objects are kept (bounded) so the browser keeps their decoded bitmaps warm.
const decoded = new Map<string, Promise<void>>();
const keep = new Map<string, HTMLImageElement>();
const MAX_KEPT = 48;

export function preloadImage(url: string): Promise<void> {
  let done = decoded.get(url);
  if (!done) {
    const img = new Image();
    img.decoding = 'async';
    img.src = url;
    keep.set(url, img);
    if (keep.size > MAX_KEPT) {
      const oldest = keep.keys().next().value!;
      keep.delete(oldest);
      decoded.delete(oldest);
    }
    // A failed decode (a broken file) must not block labeling: the <img> shows its own error state.
    done = img.decode().catch(() => undefined);
    decoded.set(url, done);
  }
  return done;
}

export const preloadImages = (urls: readonly string[]) => Promise.all(urls.map(preloadImage)).then(() => {});

/** A random key that works outside secure contexts too (crypto.randomUUID needs https or localhost). */
export function idempotencyKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}
