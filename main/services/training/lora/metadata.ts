// kohya's ss_* metadata for a trained LoRA (what A1111/ComfyUI and LoRA browsers display), plus the recipe.
import path from 'node:path';
import { WEIRD_IMAGE_PREFIX } from '../../../contract/names';
import type { LoraTrainingConfig } from './config';

export interface RunFacts {
  baseModelVersion: string;
  steps: number;
  trainImages: number;
  /** ISO time the run started. */
  startedAt: string;
}

export function trainingMetadata(config: LoraTrainingConfig, facts: RunFacts): Record<string, string> {
  return {
    ss_base_model_version: facts.baseModelVersion,
    ss_v2: String(facts.baseModelVersion === 'sd_v2' ? 'True' : 'False'),
    ss_sd_model_name: path.basename(config.model),
    ss_output_name: path.basename(config.out, path.extname(config.out)),
    ss_training_comment:
      config.comment ||
      `HPS Studio ${config.recipe} recipe${config.recipe === 'hps' ? `; negative prompt "${WEIRD_IMAGE_PREFIX}"` : ''}`,
    ss_steps: String(facts.steps),
    ss_max_train_steps: String(config.steps),
    ss_learning_rate: String(config.lr),
    ss_unet_lr: String(config.lr),
    ss_lr_scheduler: config.schedule,
    ss_lr_warmup_steps: String(config.warmupSteps),
    ss_optimizer: `AdamW(weight_decay=${config.weightDecay})`,
    ss_max_grad_norm: String(config.gradClip ?? 0),
    ss_gradient_accumulation_steps: String(config.batch),
    ss_gradient_checkpointing: config.gradientCheckpointing ? 'True' : 'False',
    ss_batch_size_per_device: '1',
    ss_resolution: `(${config.resolution}, ${config.resolution})`,
    ss_seed: String(config.seed),
    ss_num_train_images: String(facts.trainImages),
    ss_network_args: JSON.stringify({
      recipe: config.recipe,
      ...(config.recipe === 'dpo' ? { beta: config.beta } : { identifier: WEIRD_IMAGE_PREFIX }),
    }),
    ss_training_started_at: String(Math.floor(Date.parse(facts.startedAt) / 1000)),
    ss_training_finished_at: String(Math.floor(Date.now() / 1000)),
    hps_recipe: config.recipe,
    ...(config.recipe === 'hps' ? { hps_negative_prompt: WEIRD_IMAGE_PREFIX } : {}),
  };
}
