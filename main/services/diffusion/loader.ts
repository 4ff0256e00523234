// Opens a Stable Diffusion model: a diffusers folder (unet/, vae/, text_encoder/, optional tokenizer/,
// scheduler/ or scheduler_config.json; fp32 or *.fp16 safetensors) or an A1111/LDM single file
// (.safetensors, or .ckpt through the restricted unpickler) mapped to diffusers names. Tensors stay on disk.
import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { loadStateDict, type StateDict, type TensorData } from '../../checkpoints';
import {
  mapSingleFileNames,
  modernDiffusersVaeName,
  SINGLE_FILE_PREFIXES,
  unetLayoutFromLdmNames,
  vaeLayoutFromLdmNames,
  type SdComponent,
} from '../../models/sd/keys';
import {
  ComponentWeights,
  textEncoderConfigFromJson,
  textEncoderConfigFromWeights,
  transformedTensor,
  unetConfigFromJson,
  unetConfigFromWeights,
  vaeConfigFromJson,
  vaeConfigFromWeights,
  type TextEncoderConfig,
  type UnetConfig,
  type VaeConfig,
} from '../../models/sd';
import { parseSchedulerConfig, SD1_SCHEDULER_CONFIG, type SchedulerConfig } from './schedulers';

export interface SdModel {
  source: string;
  layout: 'diffusers' | 'single-file';
  unet: { weights: ComponentWeights; config: UnetConfig };
  vae: { weights: ComponentWeights; config: VaeConfig };
  textEncoder: { weights: ComponentWeights; config: TextEncoderConfig };
  scheduler: SchedulerConfig;
  /** The folder's tokenizer/ (vocab.json + merges.txt), when it has one. */
  tokenizerPath?: string;
  close(): Promise<void>;
}

const WEIGHT_FILES: Record<SdComponent, readonly string[]> = {
  unet: [
    'diffusion_pytorch_model.safetensors',
    'diffusion_pytorch_model.fp16.safetensors',
    'diffusion_pytorch_model.bin',
    'diffusion_pytorch_model.fp16.bin',
  ],
  vae: [
    'diffusion_pytorch_model.safetensors',
    'diffusion_pytorch_model.fp16.safetensors',
    'diffusion_pytorch_model.bin',
    'diffusion_pytorch_model.fp16.bin',
  ],
  text_encoder: [
    'model.safetensors',
    'model.fp16.safetensors',
    'pytorch_model.bin',
    'pytorch_model.fp16.bin',
  ],
};

async function isFile(file: string): Promise<boolean> {
  return stat(file).then(
    (s) => s.isFile(),
    () => false,
  );
}

async function identity(file: string): Promise<string> {
  const s = await stat(file);
  return `${path.resolve(file)}:${s.size}:${Math.round(s.mtimeMs)}`;
}

async function readJson(file: string, what: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    throw new Error(`${what} (${file}): ${(error as Error).message}`, { cause: error });
  }
}

/** Opens a model folder or single-file checkpoint; throws a readable error naming what is missing. */
export interface LoadOptions {
  /**
   * For single files: a diffusers folder (or any folder with unet/, vae/, text_encoder/ config.json) whose
   * configs replace the shape-inferred ones, like diffusers' from_single_file(config=...).
   */
  configDir?: string;
}

export async function loadSdModel(source: string, options: LoadOptions = {}): Promise<SdModel> {
  const info = await stat(source).catch(() => undefined);
  if (!info) throw new Error(`model not found: ${source}`);
  return info.isDirectory() ? loadFolder(source) : loadSingleFile(source, options.configDir);
}

async function openComponent(dir: string, component: SdComponent, opened: StateDict[]) {
  const folder = path.join(dir, component);
  const configFile = path.join(folder, 'config.json');
  if (!(await isFile(configFile)))
    throw new Error(
      `diffusers folder ${dir}: ${component}/config.json is missing (expected unet/, vae/ and text_encoder/ with config.json and weights)`,
    );
  let weightFile: string | undefined;
  for (const name of WEIGHT_FILES[component]) {
    if (await isFile(path.join(folder, name))) {
      weightFile = path.join(folder, name);
      break;
    }
  }
  if (!weightFile) {
    const present = await readdir(folder).catch(() => []);
    throw new Error(
      `diffusers folder ${dir}: no ${component} weights (looked for ${WEIGHT_FILES[component].join(', ')}; found ${present.join(', ') || 'nothing'})`,
    );
  }
  const state = await loadStateDict(weightFile);
  opened.push(state);
  let tensors: ReadonlyMap<string, TensorData> = state.tensors;
  if (component === 'vae')
    tensors = new Map([...tensors].map(([name, t]) => [modernDiffusersVaeName(name), t]));
  const weights = new ComponentWeights(component, tensors, await identity(weightFile));
  return { weights, json: await readJson(configFile, `${component} config`) };
}

async function schedulerConfigOf(dir: string): Promise<SchedulerConfig> {
  for (const file of [
    path.join(dir, 'scheduler', 'scheduler_config.json'),
    path.join(dir, 'scheduler_config.json'),
  ]) {
    if (await isFile(file)) return parseSchedulerConfig(await readJson(file, 'scheduler config'));
  }
  // Every SD 1.x / 2.x base model ships these settings; a folder without them still samples correctly.
  return SD1_SCHEDULER_CONFIG;
}

async function loadFolder(dir: string): Promise<SdModel> {
  const opened: StateDict[] = [];
  const close = async () => {
    await Promise.all(opened.map((s) => s.close()));
  };
  try {
    const unet = await openComponent(dir, 'unet', opened);
    const vae = await openComponent(dir, 'vae', opened);
    const text = await openComponent(dir, 'text_encoder', opened);
    const tokenizerDir = path.join(dir, 'tokenizer');
    const hasTokenizer =
      (await isFile(path.join(tokenizerDir, 'vocab.json'))) &&
      (await isFile(path.join(tokenizerDir, 'merges.txt')));
    return {
      source: dir,
      layout: 'diffusers',
      unet: { weights: unet.weights, config: unetConfigFromJson(unet.json) },
      vae: { weights: vae.weights, config: vaeConfigFromJson(vae.json) },
      textEncoder: { weights: text.weights, config: textEncoderConfigFromJson(text.json) },
      scheduler: await schedulerConfigOf(dir),
      tokenizerPath: hasTokenizer ? tokenizerDir : undefined,
      close,
    };
  } catch (error) {
    await close();
    throw error;
  }
}

function localNames(names: readonly string[], component: SdComponent): string[] {
  const prefix = SINGLE_FILE_PREFIXES[component];
  return names.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length));
}

async function loadSingleFile(file: string, configDir?: string): Promise<SdModel> {
  const state = await loadStateDict(file);
  try {
    const names = [...state.tensors.keys()];
    for (const component of ['unet', 'vae', 'text_encoder'] as const) {
      if (localNames(names, component).length === 0)
        throw new Error(
          `single-file checkpoint ${file}: no ${component} tensors (${SINGLE_FILE_PREFIXES[component]}*); is this a full SD checkpoint?`,
        );
    }
    const mapping = mapSingleFileNames(names, {
      unet: unetLayoutFromLdmNames(localNames(names, 'unet')),
      vae: vaeLayoutFromLdmNames(localNames(names, 'vae')),
    });
    if (mapping.unmapped.length > 0) {
      const sample = mapping.unmapped.slice(0, 5).join(', ');
      throw new Error(
        `single-file checkpoint ${file}: ${mapping.unmapped.length} tensors have no diffusers name (e.g. ${sample}); unsupported architecture?`,
      );
    }
    const tables: Record<SdComponent, Map<string, TensorData>> = {
      unet: new Map(),
      vae: new Map(),
      text_encoder: new Map(),
    };
    for (const target of mapping.targets)
      tables[target.component].set(
        target.name,
        transformedTensor(state.tensors.get(target.source)!, target.transform),
      );
    const id = await identity(file);
    const unet = new ComponentWeights('unet', tables.unet, id);
    const vae = new ComponentWeights('vae', tables.vae, id);
    const text = new ComponentWeights('text_encoder', tables.text_encoder, id);
    const config = (component: SdComponent) =>
      readJson(path.join(configDir!, component, 'config.json'), `${component} config`);
    return {
      source: file,
      layout: 'single-file',
      unet: {
        weights: unet,
        config: configDir ? unetConfigFromJson(await config('unet')) : unetConfigFromWeights(unet),
      },
      vae: {
        weights: vae,
        config: configDir ? vaeConfigFromJson(await config('vae')) : vaeConfigFromWeights(vae),
      },
      textEncoder: {
        weights: text,
        config: configDir
          ? textEncoderConfigFromJson(await config('text_encoder'))
          : textEncoderConfigFromWeights(text),
      },
      scheduler: configDir ? await schedulerConfigOf(configDir) : SD1_SCHEDULER_CONFIG,
      close: () => state.close(),
    };
  } catch (error) {
    await state.close();
    throw error;
  }
}
