// SD UNet step time and peak memory on the engine: the real SD 1.5 UNet shape (860M parameters, random
// weights generated here), fp32, 64×64 latents, batch 2 as CFG runs it, LoRA inputs at their no-LoRA
// default. The 3.4 GB of fp32 weights go through the external-data writer and load from the path.
// Reference on these 2-core machines: diffusers 0.19.3 / torch 1.13 eager, 2 threads: 27.7 s per step.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { SessionCache, openGraphSession, type ExecutionProvider } from '../../main/engine/runtime';
import {
  buildUnet,
  loraFeeds,
  loraGraphInputs,
  timestepEmbedding,
  UNET_CONTEXT,
  UNET_OUTPUT,
  UNET_SAMPLE,
  UNET_TIME,
  type LoraMatrices,
  type LoraModule,
  type LoraWeights,
  type UnetConfig,
} from '../../main/models/sd';
import { type BenchContext, type BenchSuite, type BenchTable, timed } from '../harness';
import { SD15_UNET, syntheticUnetWeights } from './synthetic';

const TORCH_EAGER_S = 27.7;
/** ORT's default intra-op pool on these 2-core machines, like the torch reference's 2 threads. */
const THREADS = 2;

function memoryMiB(field: 'VmHWM' | 'VmRSS'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 : NaN;
}

async function benchOne(
  ctx: BenchContext,
  cfg: UnetConfig,
  latent: number,
  ep: ExecutionProvider,
  runs: number,
) {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-unet-'));
  const sessions = new SessionCache();
  try {
    const { weights, parameters } = syntheticUnetWeights(cfg);
    const io = loraGraphInputs();
    const graph = buildUnet(weights, cfg, {
      height: latent,
      width: latent,
      storage: 'f32',
      lora: io.provider,
      loraScope: 'transformer', // as the pipeline builds it
    });
    ctx.log(
      `${ep}: ${(parameters / 1e6).toFixed(0)}M parameters, writing model + external data to ${workDir}`,
    );
    const open = await timed(() => openGraphSession(graph, { ep, precision: 'fp32', sessions, workDir }));
    const session = open.value;
    const batch = 2;
    const width = cfg.blockOutChannels[0]!;
    const sample = new Float32Array(batch * cfg.inChannels * latent * latent).map((_, i) => Math.sin(i));
    const context = new Float32Array(batch * 77 * cfg.crossAttentionDim).map((_, i) => Math.cos(i) * 0.5);
    const feeds = {
      ...loraFeeds(io.modules, []),
      [UNET_SAMPLE]: {
        dtype: 'float32' as const,
        data: sample,
        dims: [batch, cfg.inChannels, latent, latent],
      },
      [UNET_TIME]: {
        dtype: 'float32' as const,
        data: timestepEmbedding([500, 500], width),
        dims: [batch, width],
      },
      [UNET_CONTEXT]: { dtype: 'float32' as const, data: context, dims: [batch, 77, cfg.crossAttentionDim] },
    };
    const first = await timed(() => session.run(feeds, { outputs: [UNET_OUTPUT] }));
    ctx.log(`${ep}: session ${(open.ms / 1000).toFixed(1)} s, first step ${(first.ms / 1000).toFixed(1)} s`);
    const steps: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < runs; i++) {
      const before = process.cpuUsage();
      steps.push((await timed(() => session.run(feeds, { outputs: [UNET_OUTPUT] }))).ms / 1000);
      const used = process.cpuUsage(before);
      cpu.push((used.user + used.system) / 1e6);
      ctx.log(`${ep}: step ${i + 1}: ${steps.at(-1)!.toFixed(2)} s wall, ${cpu.at(-1)!.toFixed(1)} CPU-s`);
    }
    const finite = (first.value[UNET_OUTPUT]!.data as Float32Array).every(Number.isFinite);
    await session.release();
    const perStep = steps.reduce((a, b) => a + b, 0) / steps.length;
    return {
      parameters,
      openS: open.ms / 1000,
      firstS: first.ms / 1000,
      perStep,
      best: Math.min(...steps),
      cpuPerStep: cpu.reduce((a, b) => a + b, 0) / cpu.length,
      finite,
    };
  } finally {
    await sessions.clear();
    await rm(workDir, { recursive: true, force: true });
  }
}

/** Synthetic LoRA of one rank on every patched projection. */
function syntheticLora(modules: readonly LoraModule[], rank: number): LoraWeights {
  const unet = new Map<string, LoraMatrices>();
  for (const m of modules) {
    const down = new Float32Array(rank * m.inFeatures).map((_, i) => Math.sin(i) * 0.01);
    const up = new Float32Array(m.outFeatures * rank).map((_, i) => Math.cos(i) * 0.01);
    unet.set(m.module, {
      rank,
      inFeatures: m.inFeatures,
      outFeatures: m.outFeatures,
      down,
      up,
      alphaScale: 1,
    });
  }
  return { source: `synthetic-rank-${rank}`, unet, textEncoder: new Map(), rank, skipped: [] };
}

/** A LoRA switch is only new feeds for the one session: the time to build them for every module SD 1.5's kohya LoRAs patch. */
function loraSwitchTable(cfg: UnetConfig): BenchTable {
  const { weights } = syntheticUnetWeights(cfg);
  const io = loraGraphInputs();
  buildUnet(weights, cfg, {
    height: 64,
    width: 64,
    storage: 'f32',
    lora: io.provider,
    loraScope: 'transformer',
  });
  const rows: (string | number)[][] = [];
  for (const ranks of [[4], [8], [4, 8], [16, 16, 32]]) {
    const active = ranks.map((r) => ({ lora: syntheticLora(io.modules, r), scale: 0.8 }));
    loraFeeds(io.modules, active);
    const start = performance.now();
    const feeds = loraFeeds(io.modules, active);
    const ms = performance.now() - start;
    const mb = Object.values(feeds).reduce((n, t) => n + t.data.byteLength, 0) / 2 ** 20;
    rows.push([ranks.join(' + '), io.modules.length, ms, mb]);
  }
  return {
    title: 'LoRA switch: feeds for every patched module (no session rebuild)',
    columns: ['LoRA ranks', 'modules', 'build feeds ms', 'feeds MiB'],
    rows,
    notes: ['tests/sd/lora.test.ts asserts that the session object stays the same across switches'],
  };
}

export const suite: BenchSuite = {
  name: 'unet',
  description:
    'SD 1.5 UNet (random weights, fp32, 64×64 latents, batch 2 = CFG): seconds per step, peak memory',
  run: async (ctx): Promise<BenchTable[]> => {
    // --quick: a 10×-narrower UNet on 16×16 latents, to check the suite works.
    const cfg = ctx.quick
      ? { ...SD15_UNET, blockOutChannels: [32, 64, 128, 128], crossAttentionDim: 64 }
      : SD15_UNET;
    const latent = ctx.quick ? 16 : 64;
    // BENCH_UNET_EPS=none: only the LoRA-switch table (no 3.4 GB model).
    const eps = (process.env.BENCH_UNET_EPS ?? 'cpu')
      .split(',')
      .filter((ep) => ep !== 'none') as ExecutionProvider[];
    const rows: (string | number)[][] = [];
    for (const ep of eps) {
      const r = await benchOne(ctx, cfg, latent, ep, 3);
      rows.push([
        ep,
        `${(r.parameters / 1e6).toFixed(0)}M`,
        r.openS,
        r.firstS,
        r.perStep,
        r.best,
        r.cpuPerStep,
        r.cpuPerStep / THREADS,
        ctx.quick ? '-' : r.cpuPerStep / THREADS / TORCH_EAGER_S,
        memoryMiB('VmHWM') / 1024,
        r.finite ? 'yes' : 'NO',
      ]);
    }
    return [
      loraSwitchTable(cfg),
      {
        title: `UNet step, fp32, ${latent}×${latent} latents, batch 2${ctx.quick ? ' (quick: narrow UNet)' : ''}`,
        columns: [
          'ep',
          'params',
          'write+session s',
          'first step s',
          's/step mean',
          's/step best',
          'CPU-s/step',
          'CPU-s / 2 threads',
          '÷ torch eager 27.7 s',
          'peak RSS GiB',
          'finite',
        ],
        rows,
        notes: [
          "peak RSS: this process's VmHWM (/proc/self/status); the external-data writer streams weights, so they are not held twice",
          'the CPU is shared with other work: wall time is inflated; CPU-seconds ÷ 2 threads estimates the step on an idle 2-core machine (cpu EP only)',
          'BENCH_UNET_EPS=cpu,webgpu adds EPs; target: ≤ 0.5× the torch eager step',
        ],
      },
    ];
  },
};
