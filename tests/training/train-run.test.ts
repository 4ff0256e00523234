// End to end on sd-tiny (resolution 32): a 40-step HPS-recipe run from a pairs JSONL lowers the loss on fixed
// evaluation batches, writes a kohya LoRA that the generation pipeline loads and that changes its output, and a
// run cancelled at step 20 and resumed reproduces the uninterrupted curve exactly. A short Diffusion-DPO run
// starts at ln 2 (the LoRA starts as a no-op, so model and reference agree).
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSafetensors } from '../../main/checkpoints';
import { SessionCache } from '../../main/engine/runtime';
import { SdPipeline } from '../../main/services/diffusion/pipeline';
import { loadLoraFile } from '../../main/models/sd';
import { importPairs, Library } from '../../main/services/library';
import {
  listTrainingRuns,
  startTraining,
  trainLora,
  type TrainingProgress,
  type TrainingResult,
} from '../../main/services/training/lora';
import { clipVocab, tempDir, tinyFolder } from '../sd/helpers';
import { expectWithin } from '../parity';

const dir = tempDir('train-run-');
const sessions = new SessionCache({ maxIdleSessions: 8 });
const pairsFile = path.join(dir, 'data', 'pairs.jsonl');
let full: TrainingResult;

async function image(file: string, seed: number, smooth: boolean): Promise<string> {
  const [w, h] = [40, 48];
  const data = Buffer.alloc(w * h * 3);
  let s = seed;
  for (let i = 0; i < w * h; i++) {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    const [x, y] = [i % w, Math.floor(i / w)];
    const px = smooth
      ? [200 + (seed % 50), (x * 5) % 256, (y * 5) % 256]
      : [s % 256, (s >> 8) % 256, (s >> 16) % 256];
    data.set(px, i * 3);
  }
  await sharp(data, { raw: { width: w, height: h, channels: 3 } })
    .png()
    .toFile(path.join(dir, 'data', file));
  return file;
}

function settings(name: string, extra: Record<string, unknown> = {}) {
  return {
    recipe: 'hps' as const,
    model: tinyFolder,
    vocab: clipVocab,
    data: { pairs: pairsFile },
    steps: 40,
    lr: 2e-3,
    resolution: 32,
    seed: 5,
    out: path.join(dir, name, 'lora.safetensors'),
    log: path.join(dir, name, 'log.jsonl'),
    checkpointEvery: 0,
    workDir: path.join(dir, 'graphs'),
    ...extra,
  };
}

beforeAll(async () => {
  const { mkdirSync } = await import('node:fs');
  mkdirSync(path.join(dir, 'data'), { recursive: true });
  const prompts = ['a red square', 'a smooth gradient', 'a warm colour field'];
  const lines = [];
  for (let i = 0; i < prompts.length; i++) {
    const chosen = await image(`good${i}.png`, 10 + i, true);
    const rejected = await image(`bad${i}.png`, 20 + i, false);
    lines.push({ prompt: prompts[i], chosen, rejected, tie: false });
  }
  lines.push({ prompt: 'a tie', chosen: 'good0.png', rejected: 'bad0.png', tie: true });
  writeFileSync(pairsFile, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  full = await trainLora(settings('full', { evalSamples: 4 }), { sessions });
}, 900_000);

afterAll(async () => {
  await sessions.clear();
});

describe('LoRA training run on sd-tiny (cpu)', () => {
  it('40 steps lower the loss; one log line per step', () => {
    const log = readFileSync(path.join(dir, 'full', 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    expect(log.map((l) => l.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    expect(log.map((l) => l.loss)).toEqual(full.losses);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(full.losses.slice(0, 10));
    const last = mean(full.losses.slice(-10));
    console.log(
      `40 steps: mean loss first 10 ${first.toFixed(4)}, last 10 ${last.toFixed(4)}; fixed evaluation ${full.evaluation!.before.toFixed(4)} → ${full.evaluation!.after.toFixed(4)}`,
    );
    expect(full.status).toBe('completed');
    expect(full.evaluation!.after).toBeLessThan(full.evaluation!.before);
  });

  it('writes a kohya LoRA with ss_* metadata and alpha tensors', async () => {
    const file = await openSafetensors(full.output!);
    try {
      const meta = file.metadata;
      expect(meta.ss_network_module).toBe('networks.lora');
      expect(meta.ss_network_dim).toBe('4');
      expect(meta.ss_network_alpha).toBe('4');
      expect(meta.ss_base_model_version).toBe('sd_v1');
      expect(meta.ss_gradient_checkpointing).toBe('True'); // the default
      expect(meta.ss_training_comment).toContain('Weird image. ');
      const names = file.names();
      expect(names).toContain(
        'lora_unet_mid_block_attentions_0_transformer_blocks_0_attn2_to_k.lora_down.weight',
      );
      expect(names.filter((n) => n.endsWith('.alpha'))).toHaveLength(128);
      expect(names).toHaveLength(3 * 128);
    } finally {
      await file.close();
    }
    const runs = await listTrainingRuns(path.join(dir, 'full', 'training-runs'));
    expect(runs[0]!.status).toBe('completed');
  });

  it('the generation pipeline loads the LoRA and its output changes', async () => {
    const pipe = await SdPipeline.open(tinyFolder, {
      vocab: clipVocab,
      workDir: path.join(dir, 'graphs'),
      sessions,
    });
    try {
      const request = {
        prompt: 'a red square',
        negative: 'Weird image. ',
        steps: 4,
        cfg: 7.5,
        seed: 3,
        scheduler: 'pndm' as const,
        width: 32,
        height: 32,
      };
      const plain = await pipe.generate(request);
      const adapted = await pipe.generate({ ...request, loras: [{ file: full.output!, scale: 1 }] });
      let diff = 0;
      plain.images[0]!.unit.forEach(
        (v, i) => (diff = Math.max(diff, Math.abs(v - adapted.images[0]!.unit[i]!))),
      );
      console.log(`largest pixel change with the LoRA: ${diff.toFixed(4)}`);
      expect(diff).toBeGreaterThan(1 / 255);
    } finally {
      await pipe.close();
    }
  }, 600_000);

  it('a run cancelled at step 20 resumes onto the same curve', async () => {
    const controller = new AbortController();
    const first = await trainLora(settings('resumed'), {
      sessions,
      signal: controller.signal,
      onProgress: (e) => {
        if (e.phase === 'training' && e.step === 20) controller.abort();
      },
    });
    expect(first.status).toBe('cancelled');
    expect(first.step).toBe(20);
    const second = await trainLora(settings('resumed'), { sessions });
    expect(second.resumedFrom).toBe(20);
    // Both later runs read the latents the first one cached (six images), and still follow its curve.
    const { readdirSync } = await import('node:fs');
    expect(readdirSync(path.join(dir, 'graphs', 'latents')).filter((f) => f.endsWith('.f32'))).toHaveLength(
      6,
    );
    expect(second.losses).toEqual(full.losses);
    const log = readFileSync(path.join(dir, 'resumed', 'log.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    expect(log.map((l) => l.step)).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
    const tensorsOf = async (f: string) => {
      const file = await openSafetensors(f);
      try {
        return Promise.all(
          file.names().map(async (n) => [n, Buffer.from(await file.read(n)).toString('base64')]),
        );
      } finally {
        await file.close();
      }
    };
    expect(await tensorsOf(second.output!)).toEqual(await tensorsOf(full.output!));
  }, 900_000);

  it('Diffusion-DPO: shared noise and timestep, in-graph reference; the first loss is ln 2', async () => {
    const result = await trainLora(settings('dpo', { recipe: 'dpo', steps: 3, lr: 1e-3 }), { sessions });
    expect(result.losses).toHaveLength(3);
    expectWithin('first DPO loss vs ln 2', Math.abs(result.losses[0]! - Math.LN2), 1e-6);
    expect(result.losses.every(Number.isFinite)).toBe(true);
  }, 900_000);

  it('a job from library judgments: progress events, pause/resume, PEFT output, run history in the library', async () => {
    const libraryDir = path.join(dir, 'library');
    const library = await Library.open(libraryDir);
    try {
      await importPairs(library, pairsFile);
    } finally {
      await library.close();
    }
    const events: TrainingProgress[] = [];
    let pausedAt: number | undefined;
    const job: ReturnType<typeof startTraining> = startTraining(
      settings('job', { data: { library: libraryDir }, steps: 4, format: 'peft' }),
      {
        sessions,
        onProgress: (e) => {
          events.push(e);
          if (e.phase === 'training' && e.step === 1) {
            job.pause();
            pausedAt = Date.now();
            setTimeout(() => job.resume(), 1500);
          }
        },
      },
    );
    const result = await job.done;
    expect(result.status).toBe('completed');
    const training = events.filter((e) => e.phase === 'training');
    expect(training.map((e) => e.step)).toEqual([1, 2, 3, 4]);
    for (const e of training) {
      expect(
        Number.isFinite(e.loss) && Number.isFinite(e.lr) && e.stepsPerSecond! > 0 && e.etaSeconds! >= 0,
      ).toBe(true);
    }
    expect(events.some((e) => e.phase === 'paused')).toBe(true);
    const second = events.indexOf(training[1]!);
    expect(events.slice(0, second).some((e) => e.phase === 'paused')).toBe(true);
    expect(pausedAt).toBeDefined();
    const peft = await openSafetensors(result.output!);
    try {
      expect(peft.names().filter((n) => /^unet\..*\.lora_A\.weight$/.test(n))).toHaveLength(128);
    } finally {
      await peft.close();
    }
    const model = await import('../../main/services/diffusion/loader').then((m) => m.loadSdModel(tinyFolder));
    try {
      const loaded = await loadLoraFile(
        result.output!,
        model.unet.weights.names(),
        model.textEncoder.weights.names(),
      );
      expect(loaded.unet.size).toBe(128);
    } finally {
      await model.close();
    }
    const runs = await listTrainingRuns(path.join(libraryDir, 'training-runs'));
    expect(runs.map((r) => r.status)).toEqual(['completed']);
  }, 900_000);

  it('mixes a regularisation folder in at the chosen ratio', async () => {
    const regDir = path.join(dir, 'reg');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(regDir, { recursive: true });
    await sharp({ create: { width: 32, height: 32, channels: 3, background: { r: 90, g: 160, b: 60 } } })
      .png()
      .toFile(path.join(regDir, 'field.png'));
    writeFileSync(path.join(regDir, 'field.txt'), 'a green field');
    const result = await trainLora(
      settings('reg', { steps: 2, batch: 2, regularization: { folder: regDir, ratio: 0.5 } }),
      { sessions },
    );
    expect(result.status).toBe('completed');
    expect(result.losses).toHaveLength(2);
    expect(result.losses.every(Number.isFinite)).toBe(true);
  }, 900_000);
});
