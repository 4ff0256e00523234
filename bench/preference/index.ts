// Preference-model training step on the engine at real CLIP sizes (random weights): the frozen prefix runs
// once per image / prompt, each step runs the last k blocks (the last one for the pooled row only) forward
// and backward for a batch of two-image comparisons, plus AdamW in TypeScript. BENCH_PREF_EPS=cpu,webgpu.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TensorData } from '../../main/checkpoints';
import { AdamW } from '../../main/engine/optim';
import type { ExecutionProvider } from '../../main/engine/runtime';
import { baseModelFromTensors } from '../../main/services/preference-training/base-model';
import { PreferenceSessions } from '../../main/services/preference-training/model-sessions';
import { type BenchContext, type BenchSuite, type BenchTable, timed } from '../harness';
import { VIT_L_14, randomClip, xorshiftFill, type ClipShape } from '../score/models';

const TINY: ClipShape = {
  name: 'tiny (w128, 2+2 layers)',
  kind: 'hps-v1',
  visionWidth: 128,
  visionLayers: 2,
  textWidth: 128,
  textLayers: 2,
  embed: 64,
};

/** randomClip's table with text-tower bytes as well (the step trains the text tower's last blocks too). */
function randomClipWithText(shape: ClipShape): Map<string, TensorData> {
  const tensors = randomClip(shape);
  let seed = 0x51ed;
  for (const [name, t] of tensors) {
    if (name.startsWith('visual.') || name === 'logit_scale') continue;
    const count = t.shape.reduce((a, b) => a * b, 1);
    const fanIn = t.shape.length > 1 ? t.shape.slice(1).reduce((a, b) => a * b, 1) : 1;
    const scale =
      name.endsWith('.weight') && /ln_/.test(name)
        ? 0
        : t.shape.length > 1 && !name.includes('embedding')
          ? Math.sqrt(3 / fanIn)
          : 0.02;
    const mySeed = seed++;
    tensors.set(name, {
      dtype: 'F32',
      shape: t.shape,
      byteLength: count * 4,
      read: async () =>
        new Uint8Array(
          (scale === 0 ? new Float32Array(count).fill(1) : xorshiftFill(count, mySeed, scale)).buffer,
        ),
    });
  }
  return tensors;
}

interface Row {
  model: string;
  ep: string;
  blocks: number;
  comparisons: number;
  prefixPerImage: number;
  create: number;
  step: number;
  adamw: number;
}

async function benchOne(
  ctx: BenchContext,
  shape: ClipShape,
  ep: ExecutionProvider,
  blocks: number,
  comparisons: number,
): Promise<Row> {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-pref-'));
  const base = await baseModelFromTensors('hps-v1', randomClipWithText(shape), shape.name);
  const sessions = new PreferenceSessions(base, blocks, { ep, workDir });
  try {
    const images = 2 * comparisons;
    const pixels = xorshiftFill(images * 3 * 224 * 224, 7, 1.5);
    const prefix = await timed(() => sessions.imageHidden(pixels, images));
    const again = await timed(() => sessions.imageHidden(pixels, images));
    const tokens = new Int32Array(comparisons * 77);
    for (let c = 0; c < comparisons; c++) tokens.set([49406, 320 + c, 1929, 49407], c * 77);
    const text = await sessions.textHidden(
      tokens,
      Int32Array.from({ length: comparisons }, () => 3),
    );
    const targets = new Float32Array(images).map((_, i) => (i % 2 === 0 ? 1 : 0));
    const first = await timed(() => sessions.step(prefix.value, text, targets, 2));
    const steps: number[] = [];
    const opt = new AdamW({ lr: 1e-5 });
    let adamw = 0;
    for (let i = 0; i < 3; i++) {
      const step = await timed(() => sessions.step(prefix.value, text, targets, 2));
      steps.push(step.ms);
      adamw += (await timed(() => opt.step(sessions.params, step.value.grads))).ms;
    }
    ctx.log(`${shape.name} ${ep} k=${blocks}: steps ${steps.map((s) => s.toFixed(0)).join(', ')} ms`);
    return {
      model: shape.name,
      ep,
      blocks,
      comparisons,
      prefixPerImage: again.ms / images,
      create: first.ms,
      step: Math.min(...steps),
      adamw: adamw / 3,
    };
  } finally {
    await sessions.close();
    await rm(workDir, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  name: 'preference',
  description: 'preference-model training step (last k blocks of both towers) at ViT-L/14 size',
  async run(ctx: BenchContext): Promise<BenchTable[]> {
    const eps = (process.env.BENCH_PREF_EPS ?? 'cpu').split(',') as ExecutionProvider[];
    const shape = ctx.quick ? TINY : VIT_L_14;
    const rows: Row[] = [];
    for (const ep of eps)
      for (const blocks of ctx.quick ? [1] : [1, 2]) {
        try {
          rows.push(await benchOne(ctx, shape, ep, blocks, 8));
        } catch (error) {
          ctx.log(`${shape.name} ${ep} k=${blocks} failed: ${(error as Error).message.split('\n')[0]}`);
        }
      }
    return [
      {
        title: `Preference training step, ${shape.name}, batch of 8 two-image comparisons`,
        columns: [
          'model',
          'ep',
          'k',
          'comparisons',
          'prefix ms/image',
          'first step ms (lower + create + run)',
          'steady step ms',
          'AdamW ms',
        ],
        rows: rows.map((r) => [
          r.model,
          r.ep,
          r.blocks,
          r.comparisons,
          r.prefixPerImage,
          r.create,
          r.step,
          r.adamw,
        ]),
        notes: [
          'prefix: the frozen blocks, once per image (cached across steps); step: forward + loss + all gradients of the trained tensors.',
        ],
      },
    ];
  },
};
