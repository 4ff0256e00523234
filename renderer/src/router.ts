// Hash routing (`#/library`): works from app:// in Electron and from any path in browser mode.
import { useSyncExternalStore } from 'react';

const subscribe = (onChange: () => void) => {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
};

/** The first path segment after `#/`, e.g. 'library'. */
export function useRoute(): string {
  return useSyncExternalStore(subscribe, () => location.hash.replace(/^#\/?/, '').split('/')[0] ?? '');
}
