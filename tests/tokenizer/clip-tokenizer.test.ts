import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClipTokenizer, loadBpeVocabulary, pythonHtmlUnescape } from '../../main/tokenizer';

const fixtures = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../shared/fixtures');
const clipDir = join(fixtures, 'clip');
const vocabPath = join(clipDir, 'bpe_simple_vocab_16e6.txt.gz');

interface ClipManifest {
  prompts: string[];
  v1_tokens: { shape: [number, number] };
}

async function readInt32(path: string): Promise<Int32Array> {
  const buffer = await readFile(path);
  return new Int32Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 4);
}

async function readInt64AsNumbers(path: string): Promise<number[]> {
  const buffer = await readFile(path);
  return Array.from(new BigInt64Array(buffer.buffer, buffer.byteOffset, buffer.byteLength / 8), Number);
}

function rowsOf(ids: ArrayLike<number>, width: number): number[][] {
  return Array.from({ length: ids.length / width }, (_, r) =>
    Array.from({ length: width }, (_, c) => ids[r * width + c]!),
  );
}

let tokenizer: ClipTokenizer;
let manifest: ClipManifest;

beforeAll(async () => {
  tokenizer = await ClipTokenizer.load(vocabPath);
  manifest = JSON.parse(await readFile(join(clipDir, 'manifest.json'), 'utf8')) as ClipManifest;
});

describe('CLIP tokenizer parity with the reference fixtures', () => {
  it.each(['v1_tokens.i32', 'v2_tokens.i32'])(
    '%s: every manifest prompt (emoji, CJK, accents, HTML, over-long) exactly',
    async (file) => {
      const expected = rowsOf(await readInt32(join(clipDir, file)), 77);
      const actual = rowsOf(
        tokenizer.tokenize(manifest.prompts, { contextLength: 77, pad: 'zero', truncate: true }),
        77,
      );
      expect(actual).toHaveLength(manifest.v1_tokens.shape[0]);
      actual.forEach((row, i) => expect(row, JSON.stringify(manifest.prompts[i])).toEqual(expected[i]));
    },
  );

  it('SD te_input_ids: prompt and empty prompt, padded with <|endoftext|>', async () => {
    const expected = rowsOf(await readInt64AsNumbers(join(fixtures, 'sd', 'te_input_ids.i64')), 77);
    // The SD manifest does not list these prompts; the first row decodes to the classic diffusers example.
    const prompt = tokenizer.decode(expected[0]!);
    expect(prompt).toBe('a photo of an astronaut riding a horse on mars');
    for (const cleaning of ['transformers', 'openai'] as const) {
      const sd = await ClipTokenizer.load(vocabPath, { cleaning });
      expect(rowsOf(sd.tokenize([prompt, ''], { pad: 'eot' }), 77)).toEqual(expected);
    }
  });
});

describe('text cleaning follows Python', () => {
  it('html.unescape rules: numeric replacements, dropped code points, legacy names without ";"', () => {
    // Expected string produced by CPython's html.unescape on the same input.
    expect(pythonHtmlUnescape('&#1;a&#x80;&#0;&#13;&notit;&ampx&AMP&#99999999;')).toBe(
      'a€\ufffd\r¬it;&x&\ufffd',
    );
    expect(pythonHtmlUnescape('&amp;amp; &lt;3 &#x1F431; &unknown;')).toBe('&amp; <3 🐱 &unknown;');
  });

  it('unescapes twice (&amp;amp; → &) and lowercases', () => {
    expect(tokenizer.encode('Fish &amp;amp; CHIPS')).toEqual(tokenizer.encode('fish & chips'));
  });

  it("collapses Python's whitespace set (\\x1c, \\x85, \\u3000) but not U+FEFF", () => {
    expect(tokenizer.encode('a\x1cb\x85c\u3000d')).toEqual(tokenizer.encode('a b c d'));
    expect(tokenizer.encode('a\ufeffb')).not.toEqual(tokenizer.encode('a b'));
  });

  it("'transformers' cleaning (HF CLIPTokenizer without ftfy): no unescaping, controls dropped, CJK spaced, NFC", async () => {
    const hf = await ClipTokenizer.load(vocabPath, { cleaning: 'transformers' });
    expect(hf.encode('fish &amp; chips')).not.toEqual(hf.encode('fish & chips'));
    expect(hf.encode('fish &amp; chips')).toEqual(tokenizer.encode('fish &amp;amp;amp; chips'));
    // \v and U+200B are category C (removed); \t and U+3000 (Zs) become spaces.
    expect(hf.encode('A\vB\u200bC\tD\u3000E')).toEqual(tokenizer.encode('abc d e'));
    // CJK ideographs become separate words; kana stays joined.
    expect(hf.encode('日本語のプロンプト')).toEqual(tokenizer.encode('日 本 語 のプロンプト'));
    expect(hf.encode('日本語のプロンプト')).not.toEqual(tokenizer.encode('日本語のプロンプト'));
    // NFC: a decomposed é encodes like the precomposed one.
    expect(hf.encode('cafe\u0301')).toEqual(tokenizer.encode('caf\u00e9'));
    expect(tokenizer.encode('cafe\u0301')).not.toEqual(tokenizer.encode('caf\u00e9'));
  });

  it("'transformers-ftfy' cleaning: NFC, whitespace, lowercase only", async () => {
    const ftfy = await ClipTokenizer.load(vocabPath, { cleaning: 'transformers-ftfy' });
    expect(ftfy.encode('  Fish &amp;   CHIPS ')).toEqual(tokenizer.encode('fish &amp;amp;amp; chips'));
    expect(ftfy.encode('日本語')).toEqual(tokenizer.encode('日本語'));
    expect(ftfy.encode('cafe\u0301')).toEqual(tokenizer.encode('caf\u00e9'));
  });
});

describe('lengths and padding', () => {
  const long = Array.from({ length: 60 }, (_, i) => `word${i}`).join(' ');

  it('truncates to 77 with <|endoftext|> last, or throws when truncation is off', () => {
    const ids = tokenizer.tokenize(long);
    expect(ids[0]).toBe(tokenizer.startId);
    expect(ids[76]).toBe(tokenizer.endId);
    expect(Array.from(ids.slice(1, 76))).toEqual(tokenizer.encode(long).slice(0, 75));
    expect(() => tokenizer.tokenize(long, { truncate: false })).toThrow(/too long for context length 77/);
  });

  it('pads with zero, <|endoftext|> or a given id', () => {
    expect(tokenizer.tokenize('cat', { pad: 'zero' })[10]).toBe(0);
    expect(tokenizer.tokenize('cat', { pad: 'eot' })[10]).toBe(tokenizer.endId);
    expect(tokenizer.tokenize('cat', { pad: 7 })[10]).toBe(7);
  });

  it('long-prompt chunks: windows of 75 tokens, each wrapped and padded, covering the whole prompt', () => {
    const tokens = tokenizer.encode(long);
    const chunks = rowsOf(tokenizer.tokenizeChunks(long), 77);
    expect(chunks).toHaveLength(Math.ceil(tokens.length / 75));
    const bodies: number[] = [];
    for (const chunk of chunks) {
      expect(chunk[0]).toBe(tokenizer.startId);
      const end = chunk.indexOf(tokenizer.endId, 1);
      bodies.push(...chunk.slice(1, end));
      expect(chunk.slice(end).every((id) => id === tokenizer.endId)).toBe(true);
    }
    expect(bodies).toEqual(tokens);
    expect(rowsOf(tokenizer.tokenizeChunks(long, { maxChunks: 1 }), 77)).toHaveLength(1);
    expect(rowsOf(tokenizer.tokenizeChunks(''), 77)).toEqual([
      [tokenizer.startId, ...Array(76).fill(tokenizer.endId)],
    ]);
  });
});

describe('vocabulary formats', () => {
  let dir: string;
  beforeAll(async () => {
    // An HF tokenizer folder built from the OpenAI merges file: vocab.json, merges.txt, a pad token.
    dir = await mkdtemp(join(tmpdir(), 'clip-hf-'));
    const vocabulary = await loadBpeVocabulary(vocabPath);
    await writeFile(join(dir, 'vocab.json'), JSON.stringify(Object.fromEntries(vocabulary.encoder)));
    const mergeLines = gunzipSync(await readFile(vocabPath))
      .toString('utf8')
      .split('\n');
    await writeFile(join(dir, 'merges.txt'), ['#version: 0.2', ...mergeLines.slice(1, 48895)].join('\n'));
    await writeFile(
      join(dir, 'tokenizer_config.json'),
      JSON.stringify({ pad_token: '!', model_max_length: 77 }),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('HF folder (or a file inside it) tokenizes identically and exposes its pad token', async () => {
    for (const path of [dir, join(dir, 'vocab.json')]) {
      const hf = await ClipTokenizer.load(path);
      expect(Array.from(hf.tokenize(manifest.prompts))).toEqual(
        Array.from(tokenizer.tokenize(manifest.prompts)),
      );
      expect(hf.configuredPadId).toBe(0);
    }
    expect(tokenizer.configuredPadId).toBeUndefined();
  });

  it('clear errors for missing or malformed vocabularies', async () => {
    await expect(ClipTokenizer.load(join(dir, 'nope.txt.gz'))).rejects.toThrow(/not found: .*nope\.txt\.gz/);
    const bad = join(dir, 'bad.txt');
    await writeFile(bad, 'header\na b\nc d\n');
    await expect(ClipTokenizer.load(bad)).rejects.toThrow(/expected 48894 merges/);
  });
});
