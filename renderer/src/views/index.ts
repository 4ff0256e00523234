// The app's views, in navigation order. To add or fill one: write views/<View>.tsx and list it here;
// its route is `#/<id>`.
import type { ComponentType } from 'react';
import { Compare } from './Compare';
import { Evaluate } from './Evaluate';
import { Generate } from './Generate';
import { Library } from './Library';
import { Models } from './Models';
import { Settings } from './Settings';
import { Train } from './Train';

export interface ViewDef {
  id: string;
  label: string;
  /** One glyph for the sidebar; plain text keeps the bundle free of icon fonts. */
  icon: string;
  component: ComponentType;
  /** Open to annotators in team mode (they may call only library.status and labeling.*). */
  annotator?: true;
}

export const VIEWS: readonly ViewDef[] = [
  { id: 'library', label: 'Library', icon: '▦', component: Library, annotator: true },
  { id: 'compare', label: 'Compare', icon: '⇆', component: Compare, annotator: true },
  { id: 'generate', label: 'Generate', icon: '✦', component: Generate },
  { id: 'train', label: 'Train', icon: '◎', component: Train },
  { id: 'evaluate', label: 'Evaluate', icon: '▤', component: Evaluate },
  { id: 'models', label: 'Models', icon: '⬡', component: Models },
  { id: 'settings', label: 'Settings', icon: '⚙', component: Settings },
];
