import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSafetensors } from '../../main/checkpoints';
import { detectCheckpoint, UnsupportedCheckpointError } from '../../main/services/model-store/detect';
import { HEADER_FORMAT, METADATA_KEY } from '../../main/services/preference-training/saved-scorer';

const fixtures = fileURLToPath(new URL('../../../shared/fixtures/', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hps-detect-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('detectCheckpoint on the fixture checkpoints', () => {
  it('hps_v1_tiny.pt is an OpenAI CLIP state dict (HPS v1 layout) with the README sizes', async () => {
    const found = await detectCheckpoint(join(fixtures, 'clip/hps_v1_tiny.pt'));
    expect(found.kind).toBe('openai-clip');
    expect(found.format).toBe('torch');
    expect(found.label).toMatch(/HPS v1/);
    // README: widths 128, 2 layers per tower, embed dim 64, patch 14 at 224 px, full 49408-token vocabulary.
    expect(found.details).toMatchObject({
      visionWidth: 128,
      visionLayers: 2,
      textWidth: 128,
      textLayers: 2,
      embedDim: 64,
      patchSize: 14,
      imageSize: 224,
      vocabSize: 49408,
      contextLength: 77,
    });
  });

  it.each(['hps_v2_tiny.pt', 'hps_v2_tiny.safetensors'])(
    '%s is an open_clip state dict (HPS v2 layout)',
    async (name) => {
      const found = await detectCheckpoint(join(fixtures, 'clip', name));
      expect(found.kind).toBe('open-clip');
      expect(found.format).toBe(name.endsWith('.pt') ? 'torch' : 'safetensors');
      expect(found.details).toMatchObject({ visionWidth: 128, textLayers: 2, embedDim: 64 });
    },
  );

  it('aesthetic_tiny.pth is the LAION aesthetic head with input width 64', async () => {
    const found = await detectCheckpoint(join(fixtures, 'clip/aesthetic_tiny.pth'));
    expect(found.kind).toBe('aesthetic-mlp');
    expect(found.details.inputWidth).toBe(64);
    expect(found.details.layers).toBe('64→1024→128→64→16→1');
  });

  it('sd-tiny-single-file.safetensors is an SD single file with the README UNet widths', async () => {
    const found = await detectCheckpoint(join(fixtures, 'sd/sd-tiny-single-file.safetensors'));
    expect(found.kind).toBe('sd-single-file');
    expect(found.details).toMatchObject({ unetBlockOutChannels: '32/64/64/64', crossAttentionDim: 32 });
  });

  it('sd/sd-tiny is a diffusers folder', async () => {
    const found = await detectCheckpoint(join(fixtures, 'sd/sd-tiny'));
    expect(found.kind).toBe('sd-diffusers');
    expect(found.format).toBe('folder');
    expect(found.details).toMatchObject({ unetBlockOutChannels: '32/64/64/64', crossAttentionDim: 32 });
  });

  it('lora-tiny-kohya.safetensors is a rank-4 kohya LoRA on the UNet', async () => {
    const found = await detectCheckpoint(join(fixtures, 'sd/lora-tiny-kohya.safetensors'));
    expect(found.kind).toBe('lora-kohya');
    expect(found.details).toMatchObject({ rank: 4, patches: 'UNet' });
    expect(found.label).toMatch(/rank 4/);
  });
});

describe('detectCheckpoint on other files', () => {
  it('refuses a random safetensors file with a message naming what it saw and what is supported', async () => {
    const file = join(scratch, 'random.safetensors');
    await writeSafetensors(
      file,
      new Map([
        [
          'encoder.block.0.weight',
          { dtype: 'F32', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
        ],
        ['decoder.head.bias', { dtype: 'F32', shape: [2], data: Float32Array.from([0, 1]) }],
      ]),
    );
    const failure = await detectCheckpoint(file).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(UnsupportedCheckpointError);
    const message = (failure as Error).message;
    expect(message).toContain('is not a supported checkpoint');
    expect(message).toContain('encoder.block.0.weight');
    expect(message).toMatch(/supported: OpenAI CLIP/);
  });

  it('refuses a file that is no checkpoint at all, and a missing path', async () => {
    const failure = await detectCheckpoint(join(fixtures, 'clip/img_rgb.jpg')).catch(
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(UnsupportedCheckpointError);
    expect((failure as Error).message).toMatch(/unrecognised checkpoint format/);
    await expect(detectCheckpoint(join(scratch, 'nope.pt'))).rejects.toThrow(/no such file/);
  });

  it('recognises PEFT LoRA keys', async () => {
    const file = join(scratch, 'peft.safetensors');
    const w = (shape: number[]) => ({
      dtype: 'F32' as const,
      shape,
      data: new Float32Array(shape[0]! * shape[1]!),
    });
    await writeSafetensors(
      file,
      new Map([
        ['unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight', w([8, 32])],
        ['unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q.lora_B.weight', w([32, 8])],
      ]),
    );
    const found = await detectCheckpoint(file);
    expect(found.kind).toBe('lora-peft');
    expect(found.details.rank).toBe(8);
  });

  it('recognises a scorer trained in HPS Studio by its safetensors header', async () => {
    const file = join(scratch, 'trained.safetensors');
    const header = {
      format: HEADER_FORMAT,
      kind: 'hps-v2',
      base: { file: 'hps_v2_tiny.pt', layout: 'openai' },
      trained: ['visual.proj'],
      settings: { lr: 1e-5 },
      heldOut: { before: 0.5, after: 0.75, pairs: 8 },
      createdAt: '2026-01-01T00:00:00.000Z',
    };
    await writeSafetensors(
      file,
      new Map([['visual.proj', { dtype: 'F32', shape: [1], data: Float32Array.of(1) }]]),
      {
        [METADATA_KEY]: JSON.stringify(header),
      },
    );
    const found = await detectCheckpoint(file);
    expect(found.kind).toBe('trained-scorer');
    expect(found.details).toMatchObject({
      scorerKind: 'hps-v2',
      base: 'hps_v2_tiny.pt',
      heldOutAccuracy: 0.75,
    });
  });

  it('recognises a transformers CLIPModel folder (config.json + model.safetensors) and reads its sizes', async () => {
    const dir = join(scratch, 'hf-clip');
    mkdirSync(dir);
    const zeros = (shape: number[]) => ({
      dtype: 'F32' as const,
      shape,
      data: new Float32Array(shape.reduce((n, d) => n * d, 1)),
    });
    const tensors = new Map<string, ReturnType<typeof zeros>>();
    const block = (prefix: string, width: number) => {
      for (const p of ['q_proj', 'k_proj', 'v_proj', 'out_proj']) {
        tensors.set(`${prefix}.self_attn.${p}.weight`, zeros([width, width]));
        tensors.set(`${prefix}.self_attn.${p}.bias`, zeros([width]));
      }
      for (const n of ['layer_norm1', 'layer_norm2']) {
        tensors.set(`${prefix}.${n}.weight`, zeros([width]));
        tensors.set(`${prefix}.${n}.bias`, zeros([width]));
      }
      tensors.set(`${prefix}.mlp.fc1.weight`, zeros([4 * width, width]));
      tensors.set(`${prefix}.mlp.fc1.bias`, zeros([4 * width]));
      tensors.set(`${prefix}.mlp.fc2.weight`, zeros([width, 4 * width]));
      tensors.set(`${prefix}.mlp.fc2.bias`, zeros([width]));
    };
    // Vision 64 wide, patch 16 at 32 px (2×2 grid + class), 1 layer; text 64 wide, 1 layer, 10 positions.
    tensors.set('vision_model.embeddings.patch_embedding.weight', zeros([64, 3, 16, 16]));
    tensors.set('vision_model.embeddings.class_embedding', zeros([64]));
    tensors.set('vision_model.embeddings.position_embedding.weight', zeros([5, 64]));
    for (const n of ['pre_layrnorm', 'post_layernorm']) {
      tensors.set(`vision_model.${n}.weight`, zeros([64]));
      tensors.set(`vision_model.${n}.bias`, zeros([64]));
    }
    block('vision_model.encoder.layers.0', 64);
    tensors.set('visual_projection.weight', zeros([32, 64]));
    tensors.set('text_model.embeddings.token_embedding.weight', zeros([100, 64]));
    tensors.set('text_model.embeddings.position_embedding.weight', zeros([10, 64]));
    block('text_model.encoder.layers.0', 64);
    tensors.set('text_model.final_layer_norm.weight', zeros([64]));
    tensors.set('text_model.final_layer_norm.bias', zeros([64]));
    tensors.set('text_projection.weight', zeros([32, 64]));
    tensors.set('logit_scale', zeros([]));
    await writeSafetensors(join(dir, 'model.safetensors'), tensors);
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ text_config: { hidden_act: 'gelu' } }));
    const found = await detectCheckpoint(dir);
    expect(found).toMatchObject({ kind: 'hf-clip', format: 'folder', path: dir });
    expect(found.details).toMatchObject({
      visionWidth: 64,
      visionLayers: 1,
      patchSize: 16,
      imageSize: 32,
      textWidth: 64,
      contextLength: 10,
      vocabSize: 100,
      embedDim: 32,
    });
  });
});
