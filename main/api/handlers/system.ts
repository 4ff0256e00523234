import * as ort from 'onnxruntime-node';
import { probeExecutionProviders } from '../../engine/runtime/probe';
import type { Handlers } from './types';

export const systemHandlers = {
  'system.info': async (_input, { app }) => ({
    appVersion: app.info.version,
    mode: app.info.mode,
    node: process.versions.node,
    electron: app.info.electron,
    onnxruntime: ort.env.versions.node ?? 'unknown',
    platform: process.platform,
    arch: process.arch,
    libraryDir: app.libraryDir,
  }),
  'system.doctor': async (input) => ({ results: await probeExecutionProviders(input.eps) }),
} satisfies Partial<Handlers>;
