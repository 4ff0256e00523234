// Score bench: images/s of the real ViT-L/14 and ViT-H/14 image towers (random weights, float32, cpu) at
// batch 1, 8 and 32, bare (preprocessed pixels in) and end to end (files read, hashed, decoded and
// preprocessed by the scorer, one batch ahead of inference), with the peak RSS of each model's run.
import os from 'node:os';
import path from 'node:path';
import { ClipScorer } from '../../main/services/scoring/clip-scorer';
import type { ImageInput } from '../../main/services/scoring';
import { MiB, timed, type BenchContext, type BenchSuite, type BenchTable } from '../harness';
import { randomClip, VIT_H_14, VIT_L_14, xorshiftFill, type ClipShape } from './models';

const FIXTURES = path.resolve(
  path.dirname(new URL(import.meta.url).pathname),
  '../../../shared/fixtures/clip',
);
const FIXTURE_IMAGES = [
  'img0_rgb_512x512.png',
  'img1_rgb_768x512.png',
  'img2_rgb_300x700.png',
  'img3_rgb_517x333.png',
  'img_rgb.jpg',
  'img_gray.png',
  'img_rgb.webp',
].map((n) => path.join(FIXTURES, n));
/** ORT's own run of PyTorch's ONNX export of the ViT-L/14 image tower, batch 8, fp32, on these machines. */
const ORT_REFERENCE_IMAGES_PER_S = 1.56;

interface Plan {
  shape: ClipShape;
  batches: number[];
  fusedAttention: boolean;
  endToEnd: boolean;
}

export const suite: BenchSuite = {
  name: 'score',
  description:
    'CLIP image towers (ViT-L/14, ViT-H/14, random weights) on cpu: images/s bare and end to end, peak RSS',
  run: async (ctx) => {
    const plans: Plan[] = ctx.quick
      ? [
          { shape: VIT_L_14, batches: [8], fusedAttention: false, endToEnd: true },
          { shape: VIT_L_14, batches: [8], fusedAttention: true, endToEnd: false },
        ]
      : [VIT_L_14, VIT_H_14].map((shape) => ({
          shape,
          batches: [1, 8, 32],
          fusedAttention: false,
          endToEnd: true,
        }));
    const rows: (string | number)[][] = [];
    for (const plan of plans) rows.push(...(await measureModel(ctx, plan)));
    const table: BenchTable = {
      title: 'CLIP image towers on cpu (float32, random weights)',
      columns: [
        'model',
        'attention',
        'batch',
        'bare images/s',
        'bare, CPU-time based',
        'end-to-end images/s',
        'end-to-end, CPU-time based',
        'end-to-end / bare (wall)',
        'build + session s',
        'peak RSS MiB',
      ],
      rows,
      notes: [
        `reference: onnxruntime-node on PyTorch's own ONNX export of the ViT-L/14 tower, batch 8: ${ORT_REFERENCE_IMAGES_PER_S} images/s (target ≥ 95%: ${(0.95 * ORT_REFERENCE_IMAGES_PER_S).toFixed(2)}).`,
        'bare: median of timed runs after one warm-up run, preprocessed pixels in. end-to-end: encodeImages on fixture files (512–768 px PNG/JPEG/WebP), no embedding cache, decode/preprocess one batch ahead.',
        `CPU-time based: images per (process CPU seconds / ${os.cpus().length} cores), i.e. what the run would take with the cores to itself; wall-clock images/s fall with every other process on the machine.`,
        'attention: unfused = MatMul/Softmax (engine default on cpu); fused = com.microsoft.MultiHeadAttention.',
        'same-weights comparison with the PyTorch export itself (needs torch): export-graph.ts + compare-export.py in this folder.',
        `${os.cpus().length} CPU cores (${os.cpus()[0]?.model ?? 'unknown'}), shared with other processes: numbers are noisy. Peak RSS covers building, lowering and running that model.`,
      ],
    };
    return [table];
  },
};

function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, process.memoryUsage().rss);
    },
  };
}

async function measureModel(ctx: BenchContext, plan: Plan): Promise<(string | number)[][]> {
  const { shape } = plan;
  const attention = plan.fusedAttention ? 'fused' : 'unfused';
  ctx.log(`${shape.name} (${attention}): building the image tower and its session`);
  const rss = rssSampler();
  const built = await timed(() =>
    ClipScorer.create({
      kind: shape.kind,
      model: { id: `bench-${shape.name}-${attention}`, tensors: randomClip(shape) },
      vocab: path.join(FIXTURES, 'bpe_simple_vocab_16e6.txt.gz'),
      cache: { get: () => undefined, set: () => undefined },
      fusedAttention: plan.fusedAttention,
    }),
  );
  const scorer = built.value;
  const rows: (string | number)[][] = [];
  try {
    for (const batch of plan.batches) {
      const runs = batch === 1 ? 4 : batch === 8 ? 2 : 1;
      const pixels = xorshiftFill(batch * 3 * 224 * 224, 7, 2);
      ctx.log(`${shape.name} batch ${batch}: warm-up, then ${runs} bare run(s)`);
      await scorer.encodePixels(pixels, batch);
      const times: number[] = [];
      const cpu = process.cpuUsage();
      for (let r = 0; r < runs; r++) times.push((await timed(() => scorer.encodePixels(pixels, batch))).ms);
      const bare = batch / (median(times) / 1000);
      const bareCpu = (batch * runs) / cpuSecondsPerCore(cpu);
      let endToEnd: number | string = '';
      let endToEndCpu: number | string = '';
      if (plan.endToEnd) {
        const images: ImageInput[] = Array.from(
          { length: batch * runs },
          (_, i) => FIXTURE_IMAGES[i % FIXTURE_IMAGES.length]!,
        );
        ctx.log(`${shape.name} batch ${batch}: end to end on ${images.length} files`);
        const e2eCpu = process.cpuUsage();
        const e2e = await timed(() => scorer.encodeImages(images, { batchSize: batch }));
        endToEndCpu = images.length / cpuSecondsPerCore(e2eCpu);
        if (e2e.value.some((e) => e.error))
          throw new Error(`end-to-end run failed: ${e2e.value.find((e) => e.error)!.error}`);
        endToEnd = images.length / (e2e.ms / 1000);
      }
      const ratio = typeof endToEnd === 'number' ? endToEnd / bare : '';
      rows.push([
        shape.name,
        attention,
        batch,
        bare,
        bareCpu,
        endToEnd,
        endToEndCpu,
        ratio,
        built.ms / 1000,
        0,
      ]);
      ctx.log(
        `${shape.name} batch ${batch}: ${bare.toFixed(2)} images/s bare${typeof endToEnd === 'number' ? `, ${endToEnd.toFixed(2)} end to end` : ''}`,
      );
    }
  } finally {
    await scorer.close();
  }
  const peak = rss.stop() / MiB;
  for (const row of rows) row[9] = peak;
  return rows;
}

/** Process CPU time since `start` (all threads), divided by the core count. */
function cpuSecondsPerCore(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6 / os.cpus().length;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
