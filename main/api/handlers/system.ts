import * as ort from 'onnxruntime-node';
import { probeExecutionProviders } from '../../engine/runtime/probe';
import type { Handlers } from './types';

export const systemHandlers = {
  'system.info': async (_input, ctx) => ({
    appVersion: ctx.app.version,
    mode: ctx.app.mode,
    node: process.versions.node,
    electron: ctx.app.electron,
    onnxruntime: ort.env.versions.node ?? 'unknown',
    platform: process.platform,
    arch: process.arch,
    libraryDir: ctx.libraryDir,
  }),
  'system.doctor': async (input) => ({ results: await probeExecutionProviders(input.eps) }),
} satisfies Partial<Handlers>;
