// The name lists every layer shares, each declared once: the list, its type and its zod enum. This file
// imports only zod, so the engine, services and CLI import these from here rather than spelling them again.
import { z } from 'zod';

/** The onnxruntime execution providers the studio can ask for. */
export const EXECUTION_PROVIDERS = ['cpu', 'webgpu', 'cuda', 'dml', 'coreml'] as const;
export type ExecutionProvider = (typeof EXECUTION_PROVIDERS)[number];
export const ExecutionProviderSchema = z.enum(EXECUTION_PROVIDERS);

/** The diffusion samplers (built by services/diffusion/schedulers, whose switch must cover every name). */
export const SCHEDULER_NAMES = [
  'pndm',
  'ddim',
  'euler',
  'euler-a',
  'lms',
  'dpmpp-2m',
  'dpmpp-2m-karras',
  'unipc',
] as const;
export type SchedulerName = (typeof SCHEDULER_NAMES)[number];
export const SchedulerNameSchema = z.enum(SCHEDULER_NAMES);

/** What a local checkpoint can be detected as (services/model-store/detect). */
export const DETECTED_KINDS = [
  'openai-clip',
  'open-clip',
  'hf-clip',
  'aesthetic-mlp',
  'sd-single-file',
  'sd-diffusers',
  'lora-kohya',
  'lora-peft',
  'trained-scorer',
] as const;
export type DetectedKind = (typeof DETECTED_KINDS)[number];
export const DetectedKindSchema = z.enum(DETECTED_KINDS);

/** An annotator's verdict on a comparison (the library's judgments table checks the same five). */
export const JUDGMENT_KINDS = ['choice', 'tie', 'both-bad', 'skip', 'ranking'] as const;
export type JudgmentKind = (typeof JUDGMENT_KINDS)[number];
export const JudgmentKindSchema = z.enum(JUDGMENT_KINDS);

/** The scorers the studio runs (services/scoring), and the CLIP-family ones preference training can fine-tune. */
export const SCORER_KINDS = ['hps-v1', 'hps-v2', 'clip', 'aesthetic', 'pickscore'] as const;
export type ScorerKind = (typeof SCORER_KINDS)[number];
export const ScorerKindSchema = z.enum(SCORER_KINDS);

export const TRAINABLE_KINDS = [
  'hps-v1',
  'hps-v2',
  'clip',
  'pickscore',
] as const satisfies readonly ScorerKind[];
export type TrainableKind = (typeof TRAINABLE_KINDS)[number];
export const TrainableKindSchema = z.enum(TRAINABLE_KINDS);
