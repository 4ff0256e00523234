import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors, type SafetensorsFile } from '../../main/checkpoints';
import {
  kohyaLoraKey,
  mapSingleFileNames,
  modernDiffusersVaeName,
  modulePathsOf,
  resolveLoraKeys,
  unetLayoutFromConfig,
  unetLayoutFromLdmNames,
  unetPrefixMap,
  vaeLayoutFromConfig,
  vaeLayoutFromLdmNames,
  vaePrefixMap,
  type SdComponent,
} from '../../main/models/sd/keys';
import { sdFixturePath } from './fixtures';

const COMPONENT_FILES: Record<SdComponent, string> = {
  unet: 'sd-tiny/unet/diffusion_pytorch_model.safetensors',
  vae: 'sd-tiny/vae/diffusion_pytorch_model.safetensors',
  text_encoder: 'sd-tiny/text_encoder/model.safetensors',
};
const readJson = (name: string): unknown => JSON.parse(readFileSync(sdFixturePath(name), 'utf8'));
const unetLayout = unetLayoutFromConfig(readJson('sd-tiny/unet/config.json'));
const vaeLayout = vaeLayoutFromConfig(readJson('sd-tiny/vae/config.json'));

let singleFile: SafetensorsFile;
const components = {} as Record<SdComponent, SafetensorsFile>;

beforeAll(async () => {
  singleFile = await openSafetensors(sdFixturePath('sd-tiny-single-file.safetensors'));
  for (const [component, file] of Object.entries(COMPONENT_FILES) as [SdComponent, string][]) {
    components[component] = await openSafetensors(sdFixturePath(file));
  }
});
afterAll(async () => {
  await Promise.all([singleFile, ...Object.values(components)].map((f) => f.close()));
});

describe('LDM single file → diffusers names (sd-tiny fixture)', () => {
  it('maps every tensor to an existing diffusers tensor of the same shape, one to one and onto', () => {
    const names = singleFile.names();
    const { targets, ignored, unmapped } = mapSingleFileNames(names, { unet: unetLayout, vae: vaeLayout });
    expect(unmapped).toEqual([]);
    expect(ignored).toEqual([]);
    const reached = new Set<string>();
    for (const target of targets) {
      const file = components[target.component];
      expect(file.has(target.name), `${target.source} → ${target.component}/${target.name}`).toBe(true);
      // This fixture's VAE attention was written by diffusers' script with linear names: plain copies only.
      expect(target.transform).toEqual({ kind: 'copy' });
      expect([...singleFile.info(target.source).shape], target.source).toEqual([
        ...file.info(target.name).shape,
      ]);
      reached.add(`${target.component}/${target.name}`);
    }
    expect(new Set(targets.map((t) => t.source)).size).toBe(names.length);
    const all = Object.entries(components).flatMap(([component, file]) =>
      file.names().map((n) => `${component}/${n}`),
    );
    // Injective (the mapper throws on collisions, and every name got its own target) and onto.
    expect(reached.size).toBe(names.length);
    expect([...reached].sort()).toEqual(all.sort());
  });

  it('reads real LDM VAE attention (1×1 convs q/k/v/proj_out) and reverse-numbered decoder blocks', () => {
    const names = [
      'first_stage_model.decoder.mid.attn_1.q.weight',
      'first_stage_model.decoder.mid.attn_1.proj_out.bias',
      'first_stage_model.encoder.mid.attn_1.norm.weight',
      'first_stage_model.decoder.up.3.upsample.conv.weight',
      'first_stage_model.decoder.up.0.block.2.nin_shortcut.weight',
      'first_stage_model.encoder.down.2.downsample.conv.bias',
      'cond_stage_model.transformer.embeddings.position_ids',
      'alphas_cumprod',
    ];
    const sd15Vae = { blockCount: 4, layersPerBlock: 2 };
    const { targets, ignored, unmapped } = mapSingleFileNames(names, { unet: unetLayout, vae: sd15Vae });
    expect(unmapped).toEqual([]);
    expect(ignored).toEqual(['cond_stage_model.transformer.embeddings.position_ids', 'alphas_cumprod']);
    const byName = new Map(targets.map((t) => [t.source, t]));
    expect(byName.get(names[0]!)).toEqual({
      source: names[0],
      component: 'vae',
      name: 'decoder.mid_block.attentions.0.to_q.weight',
      transform: { kind: 'conv1x1-to-linear' },
    });
    expect(byName.get(names[1]!)).toEqual({
      source: names[1],
      component: 'vae',
      name: 'decoder.mid_block.attentions.0.to_out.0.bias',
      transform: { kind: 'copy' },
    });
    expect(byName.get(names[2]!)!.name).toBe('encoder.mid_block.attentions.0.group_norm.weight');
    expect(byName.get(names[3]!)!.name).toBe('decoder.up_blocks.0.upsamplers.0.conv.weight');
    expect(byName.get(names[4]!)!.name).toBe('decoder.up_blocks.3.resnets.2.conv_shortcut.weight');
    expect(byName.get(names[5]!)!.name).toBe('encoder.down_blocks.2.downsamplers.0.conv.bias');
  });

  it('maps an SD 2.x OpenCLIP text encoder: fused q/k/v split, penultimate-layer cut, projection dropped', () => {
    const te = (rest: string) => `cond_stage_model.model.${rest}`;
    const names = [
      te('transformer.resblocks.0.attn.in_proj_weight'),
      te('transformer.resblocks.0.attn.in_proj_bias'),
      te('transformer.resblocks.0.attn.out_proj.weight'),
      te('transformer.resblocks.0.ln_1.bias'),
      te('transformer.resblocks.22.mlp.c_fc.weight'),
      te('transformer.resblocks.22.mlp.c_proj.bias'),
      te('transformer.resblocks.22.ln_2.weight'),
      te('transformer.resblocks.23.mlp.c_fc.weight'),
      te('positional_embedding'),
      te('token_embedding.weight'),
      te('ln_final.weight'),
      te('text_projection'),
      te('logit_scale'),
    ];
    const { targets, ignored, unmapped } = mapSingleFileNames(names, {
      unet: unetLayout,
      vae: vaeLayout,
      textEncoderLayers: 23,
    });
    expect(unmapped).toEqual([]);
    expect(ignored).toEqual([names[7], names[11], names[12]]);
    expect(targets.map((t) => [t.source, t.name, t.transform])).toEqual([
      [names[0], 'text_model.encoder.layers.0.self_attn.q_proj.weight', { kind: 'rows', part: 0, parts: 3 }],
      [names[0], 'text_model.encoder.layers.0.self_attn.k_proj.weight', { kind: 'rows', part: 1, parts: 3 }],
      [names[0], 'text_model.encoder.layers.0.self_attn.v_proj.weight', { kind: 'rows', part: 2, parts: 3 }],
      [names[1], 'text_model.encoder.layers.0.self_attn.q_proj.bias', { kind: 'rows', part: 0, parts: 3 }],
      [names[1], 'text_model.encoder.layers.0.self_attn.k_proj.bias', { kind: 'rows', part: 1, parts: 3 }],
      [names[1], 'text_model.encoder.layers.0.self_attn.v_proj.bias', { kind: 'rows', part: 2, parts: 3 }],
      [names[2], 'text_model.encoder.layers.0.self_attn.out_proj.weight', { kind: 'copy' }],
      [names[3], 'text_model.encoder.layers.0.layer_norm1.bias', { kind: 'copy' }],
      [names[4], 'text_model.encoder.layers.22.mlp.fc1.weight', { kind: 'copy' }],
      [names[5], 'text_model.encoder.layers.22.mlp.fc2.bias', { kind: 'copy' }],
      [names[6], 'text_model.encoder.layers.22.layer_norm2.weight', { kind: 'copy' }],
      [names[8], 'text_model.embeddings.position_embedding.weight', { kind: 'copy' }],
      [names[9], 'text_model.embeddings.token_embedding.weight', { kind: 'copy' }],
      [names[10], 'text_model.final_layer_norm.weight', { kind: 'copy' }],
    ]);
  });

  it('follows the UNet config, not SD 1.5 constants (3 blocks, 1 layer per block)', () => {
    const map = unetPrefixMap({
      blockCount: 3,
      layersPerBlock: 1,
      downHasAttention: [true, true, false],
      upHasAttention: [false, true, true],
    });
    // LDM numbering with one layer per block: input 1 = res, 2 = downsample, 3 = res, 4 = downsample, 5 = res.
    expect(map.rename('input_blocks.1.1.proj_in.weight')).toBe('down_blocks.0.attentions.0.proj_in.weight');
    expect(map.rename('input_blocks.2.0.op.weight')).toBe('down_blocks.0.downsamplers.0.conv.weight');
    expect(map.rename('input_blocks.5.0.in_layers.2.weight')).toBe('down_blocks.2.resnets.0.conv1.weight');
    expect(map.rename('input_blocks.5.1.norm.weight')).toBeUndefined();
    // Up blocks have layers + 1 resnets: outputs 0–1 are up block 0 (no attention: upsampler in slot 1).
    expect(map.rename('output_blocks.1.1.conv.weight')).toBe('up_blocks.0.upsamplers.0.conv.weight');
    expect(map.rename('output_blocks.3.2.conv.bias')).toBe('up_blocks.1.upsamplers.0.conv.bias');
    expect(map.rename('output_blocks.5.0.skip_connection.weight')).toBe(
      'up_blocks.2.resnets.1.conv_shortcut.weight',
    );
    expect(map.rename('output_blocks.6.0.in_layers.0.weight')).toBeUndefined();
  });

  it("infers the same layouts from the single file's names as from the diffusers configs", () => {
    const relative = (prefix: string) =>
      singleFile
        .names()
        .filter((n) => n.startsWith(prefix))
        .map((n) => n.slice(prefix.length));
    expect(unetLayoutFromLdmNames(relative('model.diffusion_model.'))).toEqual(unetLayout);
    expect(vaeLayoutFromLdmNames(relative('first_stage_model.'))).toEqual(vaeLayout);
    expect(unetLayout).toEqual({
      blockCount: 4,
      layersPerBlock: 2,
      downHasAttention: [true, true, true, false],
      upHasAttention: [false, true, true, true],
    });
  });

  it('renames pre-0.14 diffusers VAE attention names', () => {
    expect(modernDiffusersVaeName('decoder.mid_block.attentions.0.query.weight')).toBe(
      'decoder.mid_block.attentions.0.to_q.weight',
    );
    expect(modernDiffusersVaeName('encoder.mid_block.attentions.0.proj_attn.bias')).toBe(
      'encoder.mid_block.attentions.0.to_out.0.bias',
    );
    expect(modernDiffusersVaeName('decoder.mid_block.attentions.0.group_norm.weight')).toBe(
      'decoder.mid_block.attentions.0.group_norm.weight',
    );
  });

  it('anchors decoder numbering on the highest index present (diffusers-written 2-block files use up.3/up.2)', () => {
    const map = vaePrefixMap(vaeLayout, 3);
    expect(map.rename('decoder.up.3.upsample.conv.weight')).toBe(
      'decoder.up_blocks.0.upsamplers.0.conv.weight',
    );
    expect(map.rename('decoder.up.2.block.1.norm1.bias')).toBe('decoder.up_blocks.1.resnets.1.norm1.bias');
    expect(vaePrefixMap(vaeLayout).rename('decoder.up.1.upsample.conv.weight')).toBe(
      'decoder.up_blocks.0.upsamplers.0.conv.weight',
    );
  });
});

describe('LoRA keys → diffusers modules', () => {
  it('resolves every key of the kohya fixture to a UNet attention projection of sd-tiny', async () => {
    const lora = await openSafetensors(sdFixturePath('lora-tiny-kohya.safetensors'));
    try {
      const unetModules = modulePathsOf(components.unet.names());
      const { targets, unmatched } = resolveLoraKeys(lora.names(), {
        unet: unetModules,
        text_encoder: modulePathsOf(components.text_encoder.names()),
      });
      expect(unmatched).toEqual([]);
      expect(targets.length * 3).toBe(lora.names().length);
      // Every attention (attn1 and attn2 of all 16 transformer blocks) × to_q/k/v/out.0.
      const attentionProjections = [...unetModules].filter((m) =>
        /\.attn[12]\.(to_q|to_k|to_v|to_out\.0)$/.test(m),
      );
      expect(targets.map((t) => t.module).sort()).toEqual(attentionProjections.sort());
      for (const target of targets) {
        expect(target.component).toBe('unet');
        expect(target.alpha).toBeDefined();
        const down = lora.info(target.down).shape;
        const up = lora.info(target.up).shape;
        const weight = components.unet.info(`${target.module}.weight`).shape;
        // down [rank, in], up [out, rank]: up·down has the patched weight's shape.
        expect([up[0], down[1]]).toEqual([...weight]);
        expect(up[1]).toBe(down[0]);
        // Writing back gives the same keys (trained LoRAs are saved in kohya format).
        expect(kohyaLoraKey('unet', target.module, 'down')).toBe(target.down);
        expect(kohyaLoraKey('unet', target.module, 'up')).toBe(target.up);
        expect(kohyaLoraKey('unet', target.module, 'alpha')).toBe(target.alpha);
      }
    } finally {
      await lora.close();
    }
  });

  it('names the training-gradient fixture by the same kohya keys (down/up of every LoRA module)', async () => {
    const [grads, lora] = await Promise.all([
      openSafetensors(sdFixturePath('train_grads.safetensors')),
      openSafetensors(sdFixturePath('lora-tiny-kohya.safetensors')),
    ]);
    try {
      const modules = { unet: modulePathsOf(components.unet.names()), text_encoder: new Set<string>() };
      const weights = lora.names().filter((n) => !n.endsWith('.alpha'));
      expect(grads.names().sort()).toEqual(weights.sort());
      const { targets, unmatched } = resolveLoraKeys(grads.names(), modules);
      expect(unmatched).toEqual([]);
      expect(targets.length * 2).toBe(weights.length);
    } finally {
      await Promise.all([grads.close(), lora.close()]);
    }
  });

  it('reads PEFT / diffusers keys and keeps alpha = rank when none is stored', () => {
    const modules = {
      unet: new Set(['down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0']),
      text_encoder: new Set(['text_model.encoder.layers.0.self_attn.q_proj']),
    };
    const { targets, unmatched } = resolveLoraKeys(
      [
        'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_A.weight',
        'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_B.weight',
        'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora.down.weight',
        'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora.up.weight',
        'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.alpha',
        'unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight',
      ],
      modules,
    );
    expect(unmatched).toEqual(['unet.mid_block.attentions.0.transformer_blocks.0.attn1.to_q.lora_A.weight']);
    expect(targets).toEqual([
      {
        component: 'unet',
        module: 'down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0',
        down: 'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_A.weight',
        up: 'unet.down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0.lora_B.weight',
        alpha: undefined,
      },
      {
        component: 'text_encoder',
        module: 'text_model.encoder.layers.0.self_attn.q_proj',
        down: 'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora.down.weight',
        up: 'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora.up.weight',
        alpha: 'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.alpha',
      },
    ]);
  });

  it('reads diffusers ≤ 0.20 attention-processor LoRAs (save_attn_procs, with or without unet.)', () => {
    const attention = 'up_blocks.1.attentions.2.transformer_blocks.0.attn2';
    const modules = {
      unet: new Set([`${attention}.to_q`, `${attention}.to_out.0`]),
      text_encoder: new Set(['text_model.encoder.layers.1.self_attn.out_proj']),
    };
    const keys = [
      `${attention}.processor.to_q_lora.down.weight`,
      `${attention}.processor.to_q_lora.up.weight`,
      `unet.${attention}.processor.to_out_lora.down.weight`,
      `unet.${attention}.processor.to_out_lora.up.weight`,
      'text_encoder.text_model.encoder.layers.1.self_attn.out_proj.lora_linear_layer.down.weight',
      'text_encoder.text_model.encoder.layers.1.self_attn.out_proj.lora_linear_layer.up.weight',
      `${attention}.to_k.down.weight`,
    ];
    const { targets, unmatched } = resolveLoraKeys(keys, modules);
    expect(targets.map((t) => [t.component, t.module, t.down, t.alpha])).toEqual([
      ['unet', `${attention}.to_q`, keys[0], undefined],
      ['unet', `${attention}.to_out.0`, keys[2], undefined],
      ['text_encoder', 'text_model.encoder.layers.1.self_attn.out_proj', keys[4], undefined],
    ]);
    // A bare `.down.weight` outside the processor form is no LoRA key.
    expect(unmatched).toEqual([`${attention}.to_k.down.weight`]);
  });

  it('resolves kohya text-encoder keys and refuses ambiguous underscore forms', () => {
    const te = new Set([
      'text_model.encoder.layers.0.self_attn.q_proj',
      'text_model.encoder.layers.0.mlp.fc1',
    ]);
    const { targets } = resolveLoraKeys(
      [
        'lora_te_text_model_encoder_layers_0_mlp_fc1.lora_down.weight',
        'lora_te_text_model_encoder_layers_0_mlp_fc1.lora_up.weight',
      ],
      { unet: new Set(), text_encoder: te },
    );
    expect(targets.map((t) => t.module)).toEqual(['text_model.encoder.layers.0.mlp.fc1']);
    const ambiguous = new Set(['a.b_c', 'a_b.c']);
    expect(() =>
      resolveLoraKeys(['lora_unet_a_b_c.lora_down.weight'], { unet: ambiguous, text_encoder: new Set() }),
    ).toThrow(/several/);
    expect(() =>
      resolveLoraKeys(['lora_unet_a_b_c.lora_down.weight'], {
        unet: new Set(['a.b_c']),
        text_encoder: new Set(),
      }),
    ).toThrow(/no up/);
  });
});
