/**
 * LoRA file key formats → the diffusers modules they patch.
 * - kohya: `lora_unet_<module path, dots as _>.{lora_down.weight, lora_up.weight, alpha}` and `lora_te_…` for
 *   the text encoder. The underscore form is ambiguous (module names contain `_` themselves), so it is
 *   resolved against the model's own module paths.
 * - PEFT / diffusers ≥ 0.21: `unet.<path>.lora_A.weight` / `lora_B.weight` (also `text_encoder.` and the raw
 *   PEFT `base_model.model.` prefix), and diffusers' `<path>.lora.down.weight` / `.lora.up.weight`.
 * - diffusers ≤ 0.20 (what align_sd's and diffusers' LoRA scripts saved): attention processors
 *   `[unet.]<attention>.processor.to_q_lora.down.weight` …, text encoder `….q_proj.lora_linear_layer.down.weight`.
 * These store no alpha: alpha = rank (ΔW = up · down), unless a `<path>.alpha` tensor is present.
 * ΔW = up · down · alpha / rank, applied to the module's weight.
 */

export type LoraComponent = 'unet' | 'text_encoder';

export interface LoraTarget {
  component: LoraComponent;
  /** Dotted diffusers module path, e.g. `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`. */
  module: string;
  /** Tensor names inside the LoRA file. */
  down: string;
  up: string;
  /** Name of the stored alpha tensor; undefined means alpha = rank. */
  alpha: string | undefined;
}

export interface LoraKeyResolution {
  targets: LoraTarget[];
  /** Keys that are neither LoRA weights of a known module nor ignorable. */
  unmatched: string[];
}

/** Module paths of a model, from its tensor names (`….to_q.weight` → `….to_q`). */
export function modulePathsOf(tensorNames: Iterable<string>): Set<string> {
  const modules = new Set<string>();
  for (const name of tensorNames) {
    const dot = name.lastIndexOf('.');
    if (dot > 0) modules.add(name.slice(0, dot));
  }
  return modules;
}

export type LoraRole = 'down' | 'up' | 'alpha';
type Role = LoraRole;

interface KeyParts {
  /** undefined: a bare dotted path (diffusers `save_attn_procs`), looked up in the UNet, then the text encoder. */
  component: LoraComponent | undefined;
  /** kohya underscore form or dotted path, per `dotted`. */
  module: string;
  dotted: boolean;
  role: Role;
}

const KOHYA_PREFIXES: ReadonlyArray<readonly [string, LoraComponent]> = [
  ['lora_unet_', 'unet'],
  ['lora_te_', 'text_encoder'],
];
const DOTTED_PREFIXES: ReadonlyArray<readonly [string, LoraComponent]> = [
  ['unet.', 'unet'],
  ['text_encoder.', 'text_encoder'],
  ['base_model.model.', 'unet'],
];
const ROLE_SUFFIXES: ReadonlyArray<readonly [string, Role]> = [
  ['.lora_down.weight', 'down'],
  ['.lora_up.weight', 'up'],
  ['.lora_A.weight', 'down'],
  ['.lora_B.weight', 'up'],
  ['.lora.down.weight', 'down'],
  ['.lora.up.weight', 'up'],
  ['.lora_linear_layer.down.weight', 'down'],
  ['.lora_linear_layer.up.weight', 'up'],
  ['.down.weight', 'down'],
  ['.up.weight', 'up'],
  ['.alpha', 'alpha'],
];

/**
 * diffusers ≤ 0.20 attention processors keep their LoRA beside the layer:
 * `….attn1.processor.to_q_lora` patches `….attn1.to_q` (`to_out_lora` → `to_out.0`).
 */
function processorStemToModule(stem: string): string | undefined {
  const match = /^(.*)\.processor\.(to_q|to_k|to_v|to_out)_lora$/.exec(stem);
  if (!match) return undefined;
  return `${match[1]}.${match[2] === 'to_out' ? 'to_out.0' : match[2]}`;
}

function splitKey(key: string): KeyParts | undefined {
  const suffix = ROLE_SUFFIXES.find(([s]) => key.endsWith(s));
  if (!suffix) return undefined;
  const role = suffix[1];
  let stem = key.slice(0, -suffix[0].length);
  for (const [prefix, component] of KOHYA_PREFIXES) {
    if (stem.startsWith(prefix)) return { component, module: stem.slice(prefix.length), dotted: false, role };
  }
  const bareSuffix = suffix[0] === '.down.weight' || suffix[0] === '.up.weight';
  if (bareSuffix) {
    // Plain `.down/.up.weight` only in the attention-processor form; elsewhere it is not a LoRA key.
    const module = processorStemToModule(stem);
    if (!module) return undefined;
    stem = module;
  }
  const prefixed = DOTTED_PREFIXES.find(([prefix]) => stem.startsWith(prefix));
  if (prefixed) return { component: prefixed[1], module: stem.slice(prefixed[0].length), dotted: true, role };
  return { component: undefined, module: stem, dotted: true, role };
}

/** underscore form → module path; paths that collide in underscore form map to undefined (ambiguous). */
function underscoreIndex(modules: Set<string>): Map<string, string | undefined> {
  const index = new Map<string, string | undefined>();
  for (const path of modules) {
    const flat = path.replaceAll('.', '_');
    index.set(flat, index.has(flat) ? undefined : path);
  }
  return index;
}

/**
 * Groups the keys of a LoRA file by target module. `modules` holds each component's module paths
 * (see modulePathsOf); keys that do not resolve to a known module are reported, not guessed.
 */
export function resolveLoraKeys(
  keys: Iterable<string>,
  modules: Readonly<Record<LoraComponent, Set<string>>>,
): LoraKeyResolution {
  const indexes = {
    unet: underscoreIndex(modules.unet),
    text_encoder: underscoreIndex(modules.text_encoder),
  };
  const grouped = new Map<
    string,
    { component: LoraComponent; module: string; down?: string; up?: string; alpha?: string }
  >();
  const unmatched: string[] = [];
  for (const key of keys) {
    const parts = splitKey(key);
    const resolved = parts && resolveModule(parts, modules, indexes);
    if (!parts || !resolved) {
      unmatched.push(key);
      continue;
    }
    const id = `${resolved.component}/${resolved.module}`;
    const entry = grouped.get(id) ?? { ...resolved };
    if (entry[parts.role] !== undefined)
      throw new Error(`LoRA file: ${entry[parts.role]} and ${key} both give the ${parts.role} of ${id}`);
    entry[parts.role] = key;
    grouped.set(id, entry);
  }
  const targets: LoraTarget[] = [];
  for (const [id, entry] of grouped) {
    if (!entry.down || !entry.up)
      throw new Error(`LoRA file: ${id} has ${entry.down ? 'no up' : 'no down'} weight`);
    targets.push({
      component: entry.component,
      module: entry.module,
      down: entry.down,
      up: entry.up,
      alpha: entry.alpha,
    });
  }
  return { targets, unmatched };
}

function resolveModule(
  parts: KeyParts,
  modules: Readonly<Record<LoraComponent, Set<string>>>,
  indexes: Record<LoraComponent, Map<string, string | undefined>>,
): { component: LoraComponent; module: string } | undefined {
  if (parts.dotted) {
    const candidates: LoraComponent[] = parts.component ? [parts.component] : ['unet', 'text_encoder'];
    const component = candidates.find((c) => modules[c].has(parts.module));
    return component && { component, module: parts.module };
  }
  const component = parts.component!;
  const index = indexes[component];
  const path = index.get(parts.module);
  if (path === undefined && index.has(parts.module)) {
    throw new Error(`LoRA key ${parts.module} matches several ${component} modules`);
  }
  return path === undefined ? undefined : { component, module: path };
}

const KOHYA_COMPONENT_PREFIX: Readonly<Record<LoraComponent, string>> = {
  unet: 'lora_unet_',
  text_encoder: 'lora_te_',
};
const KOHYA_ROLE_SUFFIX: Readonly<Record<Role, string>> = {
  down: '.lora_down.weight',
  up: '.lora_up.weight',
  alpha: '.alpha',
};

/** The kohya key of a module's LoRA tensor, for writing LoRA files (trained LoRAs are saved in this format). */
export function kohyaLoraKey(component: LoraComponent, module: string, role: Role): string {
  return `${KOHYA_COMPONENT_PREFIX[component]}${module.replaceAll('.', '_')}${KOHYA_ROLE_SUFFIX[role]}`;
}
