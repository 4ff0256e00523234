// Every bench suite, loaded lazily so one suite's imports never slow another. Adding a suite: one file
// exporting `suite: BenchSuite`, one line here.
import type { BenchSuite } from './harness';

export const SUITES: readonly { name: string; load: () => Promise<{ suite: BenchSuite }> }[] = [
  { name: 'engine', load: () => import('./engine/index') },
  { name: 'preprocess', load: () => import('./preprocess') },
  { name: 'library', load: () => import('./library') },
  { name: 'score', load: () => import('./score/index') },
  { name: 'compare', load: () => import('./compare') },
  { name: 'unet', load: () => import('./unet/index') },
  { name: 'train', load: () => import('./train/index') },
  { name: 'preference', load: () => import('./preference/index') },
  { name: 'team', load: () => import('./team') },
];
