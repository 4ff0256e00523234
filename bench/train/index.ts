// LoRA training step on the engine: the real SD 1.5 UNet shape (860M parameters, random weights generated
// here, fp32 on cpu) with rank-4 LoRA on all 128 attention projections as trainable inputs; one run = forward,
// epsilon-MSE loss and every LoRA gradient, plus the AdamW update in TypeScript. Batch 1 at 256 and 512 px.
// Needs > 3.4 GB of disk for the external weights and many GB of RAM for the backward activations: it checks
// free memory and disk first and skips a size that does not fit (BENCH_TRAIN_RES=256,512 picks sizes;
// BENCH_TRAIN_CHECKPOINTING=on,off picks the gradient-checkpointing settings, default both).
// Published reference (spec.md): diffusers LoRA training ≈ 11 GB GPU at fp16 512 px batch 1.
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm, statfs } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AdamW, clipGradNorm } from '../../main/engine/optim';
import { SessionCache, openGraphSession } from '../../main/engine/runtime';
import type { UnetConfig } from '../../main/models/sd';
import { buildLoraTrainingGraph } from '../../main/services/training/lora/graph';
import { runStep, stepFeeds } from '../../main/services/training/lora/step';
import { type BenchContext, type BenchSuite, type BenchTable, timed } from '../harness';
import { SD15_UNET, syntheticUnetWeights } from '../unet/synthetic';

const GiB = 2 ** 30;

/** VmHWM (peak) or VmRSS (current) of this process. */
function rssGiB(field: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return match ? Number(match[1]) / 1024 / 1024 : NaN;
}

/** Resets VmHWM to the current RSS (Linux clear_refs 5), so the next peak is the steps' own. */
function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * Rough needs: the open session (≈ 7 GiB: 3.2 GiB of weights, apparently loaded and prepacked), plus
 * what a step adds, growing with the attention scores (the latent area squared). Fitted to RESULTS.md: with
 * checkpointing 7.2 GiB at 256 px and 12.1 GiB at 512 px; without it 7.3 and 18.0 GiB.
 */
function estimateGiB(latent: number, quick: boolean, checkpointing: boolean): { ram: number; disk: number } {
  if (quick) return { ram: 1, disk: 0.1 };
  const area = (latent / 32) ** 2;
  return { ram: 7.2 + (checkpointing ? 0.3 : 0.7) * area ** 2, disk: 4 };
}

async function benchOne(
  ctx: BenchContext,
  cfg: UnetConfig,
  latent: number,
  steps: number,
  gradientCheckpointing: boolean,
) {
  const workDir = await mkdtemp(path.join(os.tmpdir(), 'bench-train-'));
  const sessions = new SessionCache();
  try {
    const { weights, parameters } = syntheticUnetWeights(cfg);
    const rank = 4;
    const built = buildLoraTrainingGraph(weights, cfg, {
      height: latent,
      width: latent,
      rank,
      alpha: rank,
      storage: 'f32',
      objective: { kind: 'mse' },
      gradientCheckpointing,
    });
    ctx.log(
      `${latent}×${latent} latents: ${(parameters / 1e6).toFixed(0)}M frozen parameters, ${built.params.length} LoRA modules, ${built.graph.segments.length} checkpoint segments`,
    );
    const open = await timed(() =>
      // As the trainer opens it: without ORT's CPU arena.
      openGraphSession(built.graph, { ep: 'cpu', precision: 'fp32', sessions, workDir, cpuMemArena: false }),
    );
    const session = open.value;
    const params: Record<string, Float32Array> = {};
    for (const spec of built.params) {
      params[spec.down] = new Float32Array(rank * spec.inFeatures).map((_, i) => Math.sin(i) / rank);
      params[spec.up] = new Float32Array(spec.outFeatures * rank);
    }
    const size = cfg.inChannels * latent * latent;
    const batch = {
      noisy: new Float32Array(size).map((_, i) => Math.sin(i * 0.37)),
      target: new Float32Array(size).map((_, i) => Math.cos(i * 0.11)),
      timesteps: [500],
      context: new Float32Array(77 * cfg.crossAttentionDim).map((_, i) => Math.cos(i) * 0.5),
      sequence: 77,
    };
    const shape = {
      config: cfg,
      latentHeight: latent,
      latentWidth: latent,
      contextWidth: cfg.crossAttentionDim,
    };
    const optimizer = new AdamW({ lr: 1e-4 });
    const step = async () => {
      const r = await runStep(session, stepFeeds(batch, shape, params, built.params), built.params);
      clipGradNorm(r.grads, 1);
      optimizer.step(params, r.grads);
      return r.loss;
    };
    const sessionPeak = rssGiB();
    const reset = resetPeakRss();
    const beforeSteps = rssGiB('VmRSS');
    const first = await timed(step);
    ctx.log(`session ${(open.ms / 1000).toFixed(1)} s, first step ${(first.ms / 1000).toFixed(1)} s`);
    const times: number[] = [];
    for (let i = 0; i < steps; i++) {
      times.push((await timed(step)).ms / 1000);
      ctx.log(`step ${i + 1}: ${times.at(-1)!.toFixed(2)} s`);
    }
    const stepPeak = reset ? rssGiB() : NaN;
    await session.release();
    return {
      sessionPeak,
      beforeSteps,
      stepPeak,
      parameters,
      openS: open.ms / 1000,
      firstS: first.ms / 1000,
      perStep: times.reduce((a, b) => a + b, 0) / times.length,
      finite: Number.isFinite(first.value),
    };
  } finally {
    await sessions.clear();
    await rm(workDir, { recursive: true, force: true });
  }
}

export const suite: BenchSuite = {
  name: 'train',
  description:
    'LoRA training step (SD 1.5 UNet shape, rank 4, fp32 cpu, batch 1, 256 and 512 px): s/step, peak memory',
  run: async (ctx): Promise<BenchTable[]> => {
    // --quick: a narrow UNet on 16×16 latents, to check the suite works.
    const cfg = ctx.quick
      ? { ...SD15_UNET, blockOutChannels: [32, 64, 128, 128], crossAttentionDim: 64 }
      : SD15_UNET;
    const pixels = ctx.quick ? [128] : (process.env.BENCH_TRAIN_RES ?? '256,512').split(',').map(Number);
    const modes = (process.env.BENCH_TRAIN_CHECKPOINTING ?? 'on,off').split(',').map((m) => {
      if (m !== 'on' && m !== 'off')
        throw new Error(`BENCH_TRAIN_CHECKPOINTING: expected on and/or off, got ${m}`);
      return m === 'on';
    });
    const rows: (string | number)[][] = [];
    for (const px of pixels)
      for (const checkpointing of modes) {
        const latent = px / 8;
        const need = estimateGiB(latent, ctx.quick, checkpointing);
        const disk = await statfs(os.tmpdir());
        const freeDisk = (disk.bavail * disk.bsize) / GiB;
        const freeRam = os.freemem() / GiB;
        if (freeRam < need.ram || freeDisk < need.disk) {
          rows.push([
            px,
            checkpointing ? 'on' : 'off',
            '-',
            '-',
            '-',
            '-',
            '-',
            '-',
            '-',
            `skipped: needs ≈${need.ram.toFixed(0)} GiB RAM / ${need.disk} GiB disk, free ${freeRam.toFixed(1)} / ${freeDisk.toFixed(0)}`,
          ]);
          continue;
        }
        const r = await benchOne(ctx, cfg, latent, 2, checkpointing);
        rows.push([
          px,
          checkpointing ? 'on' : 'off',
          `${(r.parameters / 1e6).toFixed(0)}M`,
          r.openS,
          r.firstS,
          r.perStep,
          r.sessionPeak,
          r.beforeSteps,
          r.stepPeak,
          r.finite ? 'yes' : 'NO',
        ]);
      }
    return [
      {
        title: `LoRA training step, rank 4, fp32 cpu, batch 1${ctx.quick ? ' (quick: narrow UNet)' : ''}`,
        columns: [
          'px',
          'checkpointing',
          'params',
          'write+session s',
          'first step s',
          's/step',
          'session peak RSS GiB',
          'RSS before steps GiB',
          'step peak RSS GiB',
          'finite',
        ],
        rows,
        notes: [
          'one step = forward + loss + all 256 LoRA gradients (one ORT run) + clip + AdamW in TypeScript',
          'session peak RSS: the process VmHWM up to the open session (weights written and loaded), cumulative over the rows run in one process; step peak RSS: VmHWM over the training steps alone (reset by /proc/self/clear_refs after the session opens); step peak − RSS before steps is what the steps add (activations, workspace)',
          'checkpointing: each resnet and Transformer2D recomputed in the backward pass (Graph.checkpoint)',
          'reference: diffusers LoRA training ≈ 11 GB GPU memory at fp16 512 px batch 1 (spec.md); no cpu figure is published',
        ],
      },
    ];
  },
};
