/**
 * A1111 / LDM single-file checkpoints → the diffusers component names (unet/, vae/, text_encoder/), as
 * kohya's model_util.py and diffusers' convert_from_ckpt do. Only names are mapped here; the loader reads
 * the tensors and applies the reshape each target asks for.
 */
import { PrefixMap } from './prefix-map';
import { unetPrefixMap, type UnetLayout } from './unet';
import { isConvShapedVaeAttention, vaePrefixMap, type VaeLayout } from './vae';

export type SdComponent = 'unet' | 'vae' | 'text_encoder';

export interface SingleFileTarget {
  component: SdComponent;
  /** Tensor name inside the component's diffusers state dict. */
  name: string;
  /** LDM keeps the VAE mid-attention projections as 1×1 convolutions: drop the two trailing 1-dims. */
  reshape: 'conv1x1-to-linear' | undefined;
}

export interface SingleFileMapping {
  /** Single-file tensor name → its diffusers target. */
  targets: Map<string, SingleFileTarget>;
  /** Present but not model weights: noise-schedule buffers, EMA copies, position_ids buffers. */
  ignored: string[];
  /** Names no rule covers (e.g. an unsupported architecture); the caller decides whether that is fatal. */
  unmapped: string[];
}

export const SINGLE_FILE_PREFIXES: Readonly<Record<SdComponent, string>> = {
  unet: 'model.diffusion_model.',
  vae: 'first_stage_model.',
  text_encoder: 'cond_stage_model.',
};

/** CLIPTextModel names: newer transformers save `transformer.text_model.*`, older ones `transformer.*`. */
function textEncoderPrefixMap(): PrefixMap {
  return new PrefixMap().add('transformer.text_model', 'text_model').add('transformer', 'text_model');
}

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

export function mapSingleFileNames(
  names: readonly string[],
  layouts: { unet: UnetLayout; vae: VaeLayout },
): SingleFileMapping {
  const vaeNames = names
    .filter((n) => n.startsWith(SINGLE_FILE_PREFIXES.vae))
    .map((n) => n.slice(SINGLE_FILE_PREFIXES.vae.length));
  const maps: Record<SdComponent, PrefixMap> = {
    unet: unetPrefixMap(layouts.unet),
    vae: vaePrefixMap(layouts.vae, decoderTopIndex(vaeNames)),
    text_encoder: textEncoderPrefixMap(),
  };
  const targets = new Map<string, SingleFileTarget>();
  const ignored: string[] = [];
  const unmapped: string[] = [];
  const claimed = new Map<string, string>();
  for (const name of names) {
    if (isIgnored(name)) {
      ignored.push(name);
      continue;
    }
    const component = (Object.keys(SINGLE_FILE_PREFIXES) as SdComponent[]).find((c) =>
      name.startsWith(SINGLE_FILE_PREFIXES[c]),
    );
    const local = component && name.slice(SINGLE_FILE_PREFIXES[component].length);
    const renamed = component && local ? maps[component].rename(local) : undefined;
    if (!component || !local || renamed === undefined) {
      unmapped.push(name);
      continue;
    }
    const key = `${component}/${renamed}`;
    const previous = claimed.get(key);
    if (previous) throw new Error(`single-file checkpoint: ${previous} and ${name} both map to ${key}`);
    claimed.set(key, name);
    const reshape = component === 'vae' && isConvShapedVaeAttention(local) ? 'conv1x1-to-linear' : undefined;
    targets.set(name, { component, name: renamed, reshape });
  }
  return { targets, ignored, unmapped };
}
