/**
 * A1111 / LDM single-file checkpoints → the diffusers component names (unet/, vae/, text_encoder/), as
 * kohya's model_util.py and diffusers' convert_from_ckpt do. Only names are mapped here; the loader reads
 * each target's source tensor and applies its transform.
 */
import type { PrefixMap } from './prefix-map';
import { textEncoderTargets, type LocalTarget } from './text-encoder';
import type { TensorTransform } from './transforms';
import { unetPrefixMap, type UnetLayout } from './unet';
import { isConvShapedVaeAttention, vaePrefixMap, type VaeLayout } from './vae';

export type SdComponent = 'unet' | 'vae' | 'text_encoder';

export interface SingleFileTarget {
  /** Tensor name in the single file. */
  source: string;
  component: SdComponent;
  /** Tensor name inside the component's diffusers state dict. */
  name: string;
  transform: TensorTransform;
}

export interface SingleFileLayouts {
  unet: UnetLayout;
  vae: VaeLayout;
  /** The diffusers text encoder's num_hidden_layers; deeper OpenCLIP layers are dropped (SD 2.x). */
  textEncoderLayers?: number;
}

export interface SingleFileMapping {
  /** One entry per diffusers tensor (a fused q/k/v source yields three). */
  targets: SingleFileTarget[];
  /**
   * Present but not model weights, or not used by the diffusers components: noise-schedule buffers, EMA
   * copies, position_ids buffers, OpenCLIP's projection/logit scale and layers past the one SD uses.
   */
  ignored: string[];
  /** Names no rule covers (e.g. an unsupported architecture); the caller decides whether that is fatal. */
  unmapped: string[];
}

export const SINGLE_FILE_PREFIXES: Readonly<Record<SdComponent, string>> = {
  unet: 'model.diffusion_model.',
  vae: 'first_stage_model.',
  text_encoder: 'cond_stage_model.',
};

function isIgnored(name: string): boolean {
  return !name.includes('.') || name.startsWith('model_ema.') || name.endsWith('.position_ids');
}

/** Highest `decoder.up.{k}` index among VAE names (relative to first_stage_model.), or undefined. */
function decoderTopIndex(vaeNames: string[]): number | undefined {
  let top: number | undefined;
  for (const name of vaeNames) {
    const match = /^decoder\.up\.(\d+)\./.exec(name);
    if (match) top = Math.max(top ?? 0, Number(match[1]));
  }
  return top;
}

const COPY: TensorTransform = { kind: 'copy' };

function renamedTarget(map: PrefixMap, local: string, transform: TensorTransform): LocalTarget[] | undefined {
  const name = map.rename(local);
  return name === undefined ? undefined : [{ name, transform }];
}

export function mapSingleFileNames(names: readonly string[], layouts: SingleFileLayouts): SingleFileMapping {
  const vaeNames = names
    .filter((n) => n.startsWith(SINGLE_FILE_PREFIXES.vae))
    .map((n) => n.slice(SINGLE_FILE_PREFIXES.vae.length));
  const unetMap = unetPrefixMap(layouts.unet);
  const vaeMap = vaePrefixMap(layouts.vae, decoderTopIndex(vaeNames));
  const targetsOf: Record<SdComponent, (local: string) => LocalTarget[] | undefined> = {
    unet: (local) => renamedTarget(unetMap, local, COPY),
    vae: (local) =>
      renamedTarget(vaeMap, local, isConvShapedVaeAttention(local) ? { kind: 'conv1x1-to-linear' } : COPY),
    text_encoder: (local) => textEncoderTargets(local, layouts.textEncoderLayers),
  };
  const targets: SingleFileTarget[] = [];
  const ignored: string[] = [];
  const unmapped: string[] = [];
  const claimed = new Map<string, string>();
  for (const source of names) {
    if (isIgnored(source)) {
      ignored.push(source);
      continue;
    }
    const component = (Object.keys(SINGLE_FILE_PREFIXES) as SdComponent[]).find((c) =>
      source.startsWith(SINGLE_FILE_PREFIXES[c]),
    );
    const local = component && source.slice(SINGLE_FILE_PREFIXES[component].length);
    const found = component && local ? targetsOf[component](local) : undefined;
    if (!component || found === undefined) {
      unmapped.push(source);
      continue;
    }
    if (found.length === 0) ignored.push(source);
    for (const { name, transform } of found) {
      const key = `${component}/${name}`;
      const previous = claimed.get(key);
      if (previous) throw new Error(`single-file checkpoint: ${previous} and ${source} both map to ${key}`);
      claimed.set(key, source);
      targets.push({ source, component, name, transform });
    }
  }
  return { targets, ignored, unmapped };
}
