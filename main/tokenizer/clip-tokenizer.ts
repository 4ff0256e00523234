import {
  bytesToUnicode,
  END_OF_TEXT,
  loadBpeVocabulary,
  START_OF_TEXT,
  type BpeVocabulary,
} from './bpe-vocabulary';
import { cleanPrompt, type PromptCleaning } from './text-cleaning';

/** The reference pre-tokenizer (simple_tokenizer.py), with Python's post-cleaning whitespace as \p{White_Space}. */
const WORD_PATTERN =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\p{White_Space}\p{L}\p{N}]+/giu;

export const CONTEXT_LENGTH = 77;

/**
 * 'zero': OpenAI CLIP / open_clip (HPS v1, v2, CLIP score, PickScore's open_clip form).
 * 'eot': pad with <|endoftext|> like HF CLIPTokenizer in SD 1.x pipelines (te_input_ids fixture).
 * A number pads with that id (SD 2.x tokenizers pad with "!" = 0).
 */
export type Padding = 'zero' | 'eot' | number;

export interface TokenizeOptions {
  contextLength?: number;
  pad?: Padding;
  /** Over-long prompts keep contextLength tokens with <|endoftext|> last; false throws instead (as the reference). */
  truncate?: boolean;
}

export interface ChunkOptions {
  contextLength?: number;
  pad?: Padding;
  /** At most this many windows; the rest of the prompt is dropped (A1111-style long prompts use no cap). */
  maxChunks?: number;
}

export interface ClipTokenizerOptions {
  /** 'openai' (default) for the preference scorers; 'transformers' to match diffusers' SD text pipelines. */
  cleaning?: PromptCleaning;
}

export class ClipTokenizer {
  readonly startId: number;
  readonly endId: number;
  /** Pad id named by an HF tokenizer folder, if any. */
  readonly configuredPadId: number | undefined;
  private readonly byteEncoder = bytesToUnicode();
  private readonly cache = new Map<string, string[]>();
  private readonly cleaning: PromptCleaning;
  private decoder?: Map<number, string>;
  private byteDecoder?: Map<string, number>;

  constructor(
    private readonly vocabulary: BpeVocabulary,
    options: ClipTokenizerOptions = {},
  ) {
    this.startId = this.idOf(START_OF_TEXT);
    this.endId = this.idOf(END_OF_TEXT);
    this.configuredPadId = vocabulary.padTokenId;
    this.cleaning = options.cleaning ?? 'openai';
    this.cache.set(START_OF_TEXT, [START_OF_TEXT]);
    this.cache.set(END_OF_TEXT, [END_OF_TEXT]);
  }

  /** `path`: bpe_simple_vocab_16e6.txt.gz, an HF tokenizer folder, or vocab.json / merges.txt inside one. */
  static async load(path: string, options: ClipTokenizerOptions = {}): Promise<ClipTokenizer> {
    return new ClipTokenizer(await loadBpeVocabulary(path), options);
  }

  /** BPE ids of the cleaned prompt, without start/end tokens. */
  encode(text: string): number[] {
    const ids: number[] = [];
    const cleaned = cleanPrompt(text, this.cleaning);
    for (const word of cleaned.match(WORD_PATTERN) ?? []) {
      const symbols = [...Buffer.from(word, 'utf8')].map((b) => this.byteEncoder.get(b)!).join('');
      for (const piece of this.bpe(symbols)) ids.push(this.idOf(piece));
    }
    return ids;
  }

  /** [texts.length, contextLength] ids: start, tokens, end, padding. */
  tokenize(texts: string | readonly string[], options: TokenizeOptions = {}): Int32Array {
    const list = typeof texts === 'string' ? [texts] : texts;
    const contextLength = options.contextLength ?? CONTEXT_LENGTH;
    const padId = this.padId(options.pad ?? 'zero');
    const out = new Int32Array(list.length * contextLength).fill(padId);
    list.forEach((text, row) => {
      const ids = [this.startId, ...this.encode(text), this.endId];
      if (ids.length > contextLength) {
        if (options.truncate === false) {
          throw new Error(
            `Prompt is too long for context length ${contextLength}: ${JSON.stringify(text.slice(0, 80))}`,
          );
        }
        ids.length = contextLength;
        ids[contextLength - 1] = this.endId;
      }
      out.set(ids, row * contextLength);
    });
    return out;
  }

  /**
   * Long-prompt windows (A1111/ComfyUI style): the tokens are cut into chunks of contextLength − 2, each wrapped
   * with start/end and padded; returns [chunks, contextLength] (at least one chunk, for the empty prompt too).
   */
  tokenizeChunks(text: string, options: ChunkOptions = {}): Int32Array {
    const contextLength = options.contextLength ?? CONTEXT_LENGTH;
    const body = contextLength - 2;
    const padId = this.padId(options.pad ?? 'eot');
    const ids = this.encode(text);
    let chunks = Math.max(1, Math.ceil(ids.length / body));
    if (options.maxChunks !== undefined) chunks = Math.min(chunks, Math.max(1, options.maxChunks));
    const out = new Int32Array(chunks * contextLength).fill(padId);
    for (let c = 0; c < chunks; c++) {
      const piece = ids.slice(c * body, (c + 1) * body);
      out.set([this.startId, ...piece, this.endId], c * contextLength);
    }
    return out;
  }

  /** Text of ids as simple_tokenizer.decode gives it ('</w>' → space, bytes → UTF-8); specials and padding 0 skipped. */
  decode(ids: Iterable<number>): string {
    this.decoder ??= new Map([...this.vocabulary.encoder].map(([token, id]) => [id, token]));
    this.byteDecoder ??= new Map([...this.byteEncoder].map(([byte, symbol]) => [symbol, byte]));
    const text = [...ids]
      .filter((id) => id !== this.startId && id !== this.endId && id !== 0)
      .map((id) => this.decoder!.get(id) ?? '')
      .join('');
    const bytes = [...text.replaceAll('</w>', ' ')].map((symbol) =>
      symbol === ' ' ? 0x20 : (this.byteDecoder!.get(symbol) ?? 0x3f),
    );
    return Buffer.from(bytes).toString('utf8').trim();
  }

  private padId(pad: Padding): number {
    if (pad === 'zero') return 0;
    if (pad === 'eot') return this.endId;
    if (!Number.isInteger(pad) || pad < 0) throw new Error(`Invalid pad token id ${pad}`);
    return pad;
  }

  private idOf(token: string): number {
    const id = this.vocabulary.encoder.get(token);
    if (id === undefined) throw new Error(`Token ${JSON.stringify(token)} is missing from the vocabulary`);
    return id;
  }

  /** Byte-level BPE of one pre-token: repeatedly merge the lowest-ranked adjacent pair. */
  private bpe(token: string): string[] {
    const cached = this.cache.get(token);
    if (cached) return cached;
    const chars = [...token];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      const best = this.lowestRankedPair(word);
      if (best === undefined) break;
      word = mergePair(word, best[0], best[1]);
    }
    this.cache.set(token, word);
    return word;
  }

  private lowestRankedPair(word: readonly string[]): [string, string] | undefined {
    let bestRank = Infinity;
    let best: [string, string] | undefined;
    for (let i = 0; i < word.length - 1; i++) {
      const rank = this.vocabulary.mergeRanks.get(`${word[i]} ${word[i + 1]}`);
      if (rank !== undefined && rank < bestRank) {
        bestRank = rank;
        best = [word[i]!, word[i + 1]!];
      }
    }
    return best;
  }
}

/** Merges every non-overlapping occurrence of (left, right), scanning left to right as the reference does. */
function mergePair(word: readonly string[], left: string, right: string): string[] {
  const merged: string[] = [];
  let i = 0;
  while (i < word.length) {
    if (i < word.length - 1 && word[i] === left && word[i + 1] === right) {
      merged.push(left + right);
      i += 2;
    } else {
      merged.push(word[i]!);
      i += 1;
    }
  }
  return merged;
}
