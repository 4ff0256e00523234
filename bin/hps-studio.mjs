#!/usr/bin/env node
// Entry point of the `hps-studio` CLI. The sources are TypeScript, run through tsx's loader.
import { register } from 'tsx/esm/api';

register();
await import('../main/cli/index.ts');
