import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** CLIP's merge count: 49152 − 256 bytes − 2 specials (simple_tokenizer.py and HF CLIPTokenizer both slice so). */
const MERGE_COUNT = 49152 - 256 - 2;
export const START_OF_TEXT = '<|startoftext|>';
export const END_OF_TEXT = '<|endoftext|>';

export interface BpeVocabulary {
  /** token string → id */
  encoder: ReadonlyMap<string, number>;
  /** "left right" → merge rank (lower merges first) */
  mergeRanks: ReadonlyMap<string, number>;
  /** pad token id named by an HF tokenizer folder (SD 1.x: <|endoftext|>, SD 2.x: "!"), if any */
  padTokenId?: number;
}

/** GPT-2/CLIP reversible byte → printable-character table (bytes_to_unicode), in the reference's order. */
export function bytesToUnicode(): Map<number, string> {
  const bytes: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) bytes.push(b);
  for (let b = 0xa1; b <= 0xac; b++) bytes.push(b);
  for (let b = 0xae; b <= 0xff; b++) bytes.push(b);
  const codePoints = [...bytes];
  let extra = 0;
  for (let b = 0; b < 256; b++) {
    if (!bytes.includes(b)) {
      bytes.push(b);
      codePoints.push(256 + extra++);
    }
  }
  return new Map(bytes.map((b, i) => [b, String.fromCodePoint(codePoints[i]!)]));
}

function parseMerges(text: string, source: string): string[][] {
  // Both formats start with a header line; Python's str.split() splits each merge on whitespace.
  const lines = text.split('\n').slice(1, MERGE_COUNT + 1);
  const merges = lines.filter((line) => line.trim() !== '').map((line) => line.split(/\s+/).filter(Boolean));
  const bad = merges.findIndex((pair) => pair.length !== 2);
  if (bad >= 0) throw new Error(`${source}: merge line ${bad + 2} is not a pair of symbols`);
  if (merges.length < MERGE_COUNT) {
    throw new Error(
      `${source}: expected ${MERGE_COUNT} merges, found ${merges.length} (not a CLIP BPE file?)`,
    );
  }
  return merges;
}

function ranksOf(merges: string[][]): Map<string, number> {
  return new Map(merges.map(([left, right], rank) => [`${left} ${right}`, rank]));
}

/** OpenAI's gzip merges file: the vocabulary is derived (bytes, bytes + </w>, merges, two specials). */
function fromMergesFile(merges: string[][]): BpeVocabulary {
  const byteSymbols = [...bytesToUnicode().values()];
  const tokens = [...byteSymbols, ...byteSymbols.map((s) => `${s}</w>`), ...merges.map((m) => m.join(''))];
  tokens.push(START_OF_TEXT, END_OF_TEXT);
  return { encoder: new Map(tokens.map((t, id) => [t, id])), mergeRanks: ranksOf(merges) };
}

async function readOptionalJson(path: string): Promise<Record<string, unknown> | undefined> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}

async function fromHuggingFaceFolder(dir: string): Promise<BpeVocabulary> {
  const vocabPath = join(dir, 'vocab.json');
  const mergesPath = join(dir, 'merges.txt');
  const vocab = await readOptionalJson(vocabPath);
  if (!vocab)
    throw new Error(
      `${dir}: no vocab.json (expected an HF tokenizer folder or bpe_simple_vocab_16e6.txt.gz)`,
    );
  const encoder = new Map<string, number>();
  for (const [token, id] of Object.entries(vocab)) {
    if (!Number.isInteger(id))
      throw new Error(`${vocabPath}: id of ${JSON.stringify(token)} is not an integer`);
    encoder.set(token, id as number);
  }
  const merges = parseMerges((await readFile(mergesPath, 'utf8')).trim(), mergesPath);
  const config = {
    ...(await readOptionalJson(join(dir, 'special_tokens_map.json'))),
    ...(await readOptionalJson(join(dir, 'tokenizer_config.json'))),
  };
  const padToken = tokenContent(config.pad_token);
  const padTokenId = padToken === undefined ? undefined : encoder.get(padToken);
  return { encoder, mergeRanks: ranksOf(merges), ...(padTokenId === undefined ? {} : { padTokenId }) };
}

/**
 * Loads a CLIP BPE vocabulary from OpenAI's `bpe_simple_vocab_16e6.txt.gz` (or an uncompressed copy), or from an
 * HF tokenizer folder / a file inside one (`vocab.json` + `merges.txt`).
 */
export async function loadBpeVocabulary(path: string): Promise<BpeVocabulary> {
  const info = await stat(path).catch(() => {
    throw new Error(`Tokenizer vocabulary not found: ${path}`);
  });
  if (info.isDirectory()) return fromHuggingFaceFolder(path);
  if (/(^|[\\/])(vocab\.json|merges\.txt)$/.test(path)) return fromHuggingFaceFolder(join(path, '..'));
  const raw = await readFile(path);
  const isGzip = raw[0] === 0x1f && raw[1] === 0x8b;
  let text: string;
  try {
    text = (isGzip ? gunzipSync(raw) : raw).toString('utf8');
  } catch (error) {
    throw new Error(`${path}: cannot decompress BPE merges (${(error as Error).message})`, { cause: error });
  }
  return fromMergesFile(parseMerges(text, path));
}
