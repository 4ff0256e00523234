// Resolves --model (a file, or an HF / open_clip folder) to a weights file, plus the HF config when there is one.
import { readdir, readFile, stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { z } from 'zod';
import type { ClipActivation } from '../../models/clip';

const WEIGHT_FILES = ['model.safetensors', 'open_clip_pytorch_model.bin', 'pytorch_model.bin'];

const HfClipConfig = z.object({
  text_config: z
    .object({
      hidden_act: z.string().optional(),
      num_attention_heads: z.number().int().positive().optional(),
    })
    .partial()
    .optional(),
  vision_config: z
    .object({
      hidden_act: z.string().optional(),
      num_attention_heads: z.number().int().positive().optional(),
    })
    .partial()
    .optional(),
});

export interface ResolvedCheckpoint {
  file: string;
  /** From config.json beside an HF checkpoint. */
  activation?: ClipActivation;
  visionHeads?: number;
  textHeads?: number;
}

async function weightsIn(dir: string): Promise<string> {
  const names = await readdir(dir);
  const pick = WEIGHT_FILES.find((n) => names.includes(n)) ?? names.find((n) => n.endsWith('.safetensors'));
  if (!pick)
    throw new Error(`no weights in ${dir}: expected ${WEIGHT_FILES.join(', ')} or a .safetensors file`);
  return path.join(dir, pick);
}

async function hfConfig(dir: string): Promise<Omit<ResolvedCheckpoint, 'file'>> {
  const text = await readFile(path.join(dir, 'config.json'), 'utf8').catch(() => undefined);
  if (text === undefined) return {};
  const parsed = HfClipConfig.safeParse(JSON.parse(text));
  if (!parsed.success) return {};
  const act = parsed.data.text_config?.hidden_act ?? parsed.data.vision_config?.hidden_act;
  return {
    activation: act === 'quick_gelu' ? 'quick_gelu' : act === 'gelu' ? 'gelu' : undefined,
    visionHeads: parsed.data.vision_config?.num_attention_heads,
    textHeads: parsed.data.text_config?.num_attention_heads,
  };
}

export async function resolveCheckpoint(modelPath: string): Promise<ResolvedCheckpoint> {
  const info = await stat(modelPath).catch(() => {
    throw new Error(`checkpoint not found: ${modelPath}`);
  });
  const file = info.isDirectory() ? await weightsIn(modelPath) : modelPath;
  return { file, ...(await hfConfig(path.dirname(file))) };
}

/** A short id for the embedding cache: kind plus each file's resolved path, size and modification time. */
export async function modelIdentity(kind: string, files: readonly string[]): Promise<string> {
  const h = createHash('sha256').update(kind);
  for (const file of files) {
    const s = await stat(file);
    h.update(`\0${path.resolve(file)}\0${s.size}\0${s.mtimeMs}`);
  }
  return `${kind}:${h.digest('hex').slice(0, 16)}`;
}
