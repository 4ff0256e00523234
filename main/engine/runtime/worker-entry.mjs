// Worker-thread entry from sources: the runtime is TypeScript, so the worker registers tsx's loader before
// importing it. The desktop bundle starts its own build of worker-main.ts instead (see worker-module.ts).
import { register } from 'tsx/esm/api';

register();
await import('./worker-main.ts');
