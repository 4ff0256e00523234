#!/usr/bin/env node
// `npm run bench [-- <suite filter…>] [--quick]`: the bench sources are TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../bench/run.ts');
