import { z } from 'zod';
import { defineCall, NoInput } from './define';
import { ExecutionProviderSchema } from './names';

export const ProbeResultSchema = z.object({
  ep: ExecutionProviderSchema,
  ok: z.boolean(),
  reason: z.string().optional(),
  hint: z.string().optional(),
  ms: z.number(),
});

export const SystemInfoSchema = z.object({
  appVersion: z.string(),
  mode: z.enum(['desktop', 'serve']),
  node: z.string(),
  electron: z.string().nullable(),
  onnxruntime: z.string(),
  platform: z.string(),
  arch: z.string(),
  libraryDir: z.string(),
});

export const systemCalls = {
  'system.info': defineCall({
    summary: 'App, runtime and library folder versions and paths.',
    input: NoInput,
    output: SystemInfoSchema,
  }),
  'system.doctor': defineCall({
    summary: 'Runs a tiny ONNX graph on each execution provider and says which work.',
    input: z.object({ eps: z.array(ExecutionProviderSchema).min(1).optional() }).strict(),
    output: z.object({ results: z.array(ProbeResultSchema) }),
  }),
};
