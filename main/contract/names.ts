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

/** fp16 on GPU EPs (softmax and normalisations in fp32), fp32 on cpu: engine/runtime/graph-session decides. */
export const COMPUTE_PRECISIONS = ['fp32', 'fp16'] as const;
export type ComputePrecision = (typeof COMPUTE_PRECISIONS)[number];
export const ComputePrecisionSchema = z.enum(COMPUTE_PRECISIONS);

/** The LoRA training recipes: the HPS paper's (rejected images under WEIRD_IMAGE_PREFIX) and Diffusion-DPO. */
export const LORA_RECIPES = ['hps', 'dpo'] as const;
export type LoraRecipe = (typeof LORA_RECIPES)[number];
export const LoraRecipeSchema = z.enum(LORA_RECIPES);

/** How a trained LoRA is written: kohya's keys (A1111, ComfyUI) or PEFT's (diffusers). */
export const LORA_FORMATS = ['kohya', 'peft'] as const;
export type LoraFormat = (typeof LORA_FORMATS)[number];
export const LoraFormatSchema = z.enum(LORA_FORMATS);

/** The HPS recipe's identifier: rejected images are trained under it, and it then serves as the negative prompt. */
export const WEIRD_IMAGE_PREFIX = 'Weird image. ';

/** How a tie counts when a metric's accuracy is measured: left out (ImageReward) or half a hit (HPS v2). */
export const TIE_CONVENTIONS = ['drop-ties', 'half-credit'] as const;
export type TieConvention = (typeof TIE_CONVENTIONS)[number];
export const TieConventionSchema = z.enum(TIE_CONVENTIONS);

/** The LoRA learning-rate schedules (after warmup). */
export const LR_SCHEDULES = ['constant', 'cosine'] as const;
export const LrScheduleSchema = z.enum(LR_SCHEDULES);
