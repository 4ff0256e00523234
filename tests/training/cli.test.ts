// `hps-studio train-lora` end to end on sd-tiny: pairs JSONL in (a tie skipped), a JSONL step log out, a kohya
// file that `hps-studio generate --lora` loads and that changes the image; the same losses without gradient
// checkpointing; argument errors are one line.
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { clipVocab, tempDir, tinyFolder } from '../sd/helpers';
import { runCli } from '../cli/run-cli';
import { expectWithin } from '../parity';

const dir = tempDir('train-cli-');

const cli = (...args: string[]) => runCli(args, { timeoutMs: 600_000 });

async function solid(file: string, rgb: [number, number, number]): Promise<void> {
  await sharp({
    create: { width: 36, height: 32, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } },
  })
    .png()
    .toFile(path.join(dir, file));
}

beforeAll(async () => {
  mkdirSync(dir, { recursive: true });
  await solid('a.png', [220, 30, 30]);
  await solid('b.png', [20, 20, 200]);
  const lines = [
    { prompt: 'a red card', chosen: 'a.png', rejected: 'b.png', tie: false },
    { prompt: 'a blue card', chosen: 'b.png', rejected: 'a.png', tie: true },
  ];
  writeFileSync(path.join(dir, 'pairs.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n'));
});

describe('hps-studio train-lora', () => {
  it('trains from --pairs, logs every step and writes a LoRA that generate --lora applies', async () => {
    const out = path.join(dir, 'hps.safetensors');
    const log = path.join(dir, 'log.jsonl');
    const trained = await cli(
      'train-lora',
      '--recipe',
      'hps',
      '--model',
      tinyFolder,
      '--vocab',
      clipVocab,
      '--pairs',
      path.join(dir, 'pairs.jsonl'),
      '--steps',
      '3',
      '--lr',
      '0.01',
      '--resolution',
      '32',
      '--seed',
      '1',
      '--out',
      out,
      '--log',
      log,
    );
    expect(trained.stderr).toBe('');
    expect(trained.code).toBe(0);
    expect(trained.stdout).toContain(`wrote ${out}`);
    const steps = readFileSync(log, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { step: number; loss: number });
    expect(steps.map((s) => s.step)).toEqual([1, 2, 3]);
    expect(steps.every((s) => Number.isFinite(s.loss) && s.loss > 0)).toBe(true);

    const common = [
      'generate',
      '--model',
      tinyFolder,
      '--vocab',
      clipVocab,
      '--prompt',
      'a red card',
      '--negative',
      'Weird image. ',
      '--steps',
      '3',
      '--seed',
      '2',
      '--width',
      '32',
      '--height',
      '32',
    ];
    const plain = await cli(...common, '--out', path.join(dir, 'plain'));
    const adapted = await cli(...common, '--lora', `${out}:1`, '--out', path.join(dir, 'adapted'));
    expect(plain.code, plain.stderr).toBe(0);
    expect(adapted.code, adapted.stderr).toBe(0);
    const pixels = async (folder: string) =>
      sharp(
        path.join(
          dir,
          folder,
          readdirSync(path.join(dir, folder)).find((f) => f.endsWith('.png'))!,
        ),
      )
        .raw()
        .toBuffer();
    const [a, b] = [await pixels('plain'), await pixels('adapted')];
    expect(a.length).toBe(b.length);
    expect(a.equals(b)).toBe(false);
  }, 900_000);

  it('--no-gradient-checkpointing follows the same loss curve as the default (checkpointed) run', async () => {
    const losses = async (...flags: string[]) => {
      const name = flags.length ? 'plain' : 'checkpointed';
      const log = path.join(dir, `${name}.jsonl`);
      const run = await cli(
        'train-lora',
        ...['--recipe', 'hps', '--model', tinyFolder, '--vocab', clipVocab],
        ...['--pairs', path.join(dir, 'pairs.jsonl'), '--steps', '2', '--lr', '0.01', '--resolution', '32'],
        ...['--out', path.join(dir, `${name}.safetensors`), '--log', log, ...flags],
      );
      expect(run.code, run.stderr).toBe(0);
      return readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { loss: number }).loss);
    };
    const checkpointed = await losses();
    const plain = await losses('--no-gradient-checkpointing');
    expect(plain).toHaveLength(2);
    expectWithin(
      'losses without vs with checkpointing, worst relative',
      Math.max(...plain.map((loss, i) => Math.abs(loss - checkpointed[i]!) / loss)),
      1e-6,
    );
  }, 900_000);

  it('needs exactly one of --library and --pairs', async () => {
    const { code, stderr } = await cli(
      'train-lora',
      '--recipe',
      'hps',
      '--model',
      tinyFolder,
      '--steps',
      '1',
      '--out',
      path.join(dir, 'x.safetensors'),
    );
    expect(code).toBe(1);
    expect(stderr.trim()).toBe('hps-studio: give exactly one of --library DIR or --pairs FILE.jsonl');
  });

  it('takes a regularisation folder for the HPS recipe only, and its ratio only with it', async () => {
    const args = (recipe: string, ...extra: string[]) =>
      cli(
        'train-lora',
        '--recipe',
        recipe,
        '--model',
        tinyFolder,
        '--pairs',
        'p.jsonl',
        '--steps',
        '1',
        '--out',
        path.join(dir, 'x.safetensors'),
        ...extra,
      );
    const dpo = await args('dpo', '--regularization', dir);
    expect(dpo.code).toBe(1);
    expect(dpo.stderr).toContain('a regularisation folder applies to the hps recipe only');
    const ratioAlone = await args('hps', '--regularization-ratio', '0.5');
    expect(ratioAlone.stderr.trim()).toBe(
      'hps-studio: --regularization-ratio applies with --regularization DIR only',
    );
    const tooMuch = await args('hps', '--regularization', dir, '--regularization-ratio', '0.99');
    expect(tooMuch.code).not.toBe(0);
    expect(tooMuch.stderr).toContain('expected a number from 0 to 0.95.');
  });
});
