// Worker-thread entry: the runtime is TypeScript, so the worker registers tsx's loader before importing it.
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
