// Prompt → token windows. Prompts longer than one 77-token window are split A1111/compel style: each window
// of 75 tokens is wrapped with start/end, encoded on its own, and the hidden states are concatenated along
// the sequence (the UNet's cross-attention takes any length). Prompt and negative prompt are padded to the
// same number of windows with empty ones, so CFG can batch them. A prompt that fits one window gives
// exactly diffusers' ids (truncation never happens).
import type { ClipTokenizer } from '../../../tokenizer';

export interface PromptTokens {
  /** [2 · windows, 77] when `negative` is given (negative windows first), else [windows, 77]. */
  ids: Int32Array;
  windows: number;
  contextLength: number;
}

export function tokenizePrompts(
  tokenizer: ClipTokenizer,
  prompt: string,
  negative: string | undefined,
  contextLength: number,
): PromptTokens {
  const positive = tokenizer.tokenizeChunks(prompt, { contextLength, pad: 'eot' });
  const neg =
    negative === undefined ? undefined : tokenizer.tokenizeChunks(negative, { contextLength, pad: 'eot' });
  const windows = Math.max(positive.length, neg?.length ?? 0) / contextLength;
  const empty = tokenizer.tokenizeChunks('', { contextLength, pad: 'eot' });
  const padded = (ids: Int32Array) => {
    const out = new Int32Array(windows * contextLength);
    out.set(ids);
    for (let w = ids.length / contextLength; w < windows; w++) out.set(empty, w * contextLength);
    return out;
  };
  const parts = neg ? [padded(neg), padded(positive)] : [padded(positive)];
  const ids = new Int32Array(parts.length * windows * contextLength);
  parts.forEach((p, i) => ids.set(p, i * p.length));
  return { ids, windows, contextLength };
}
