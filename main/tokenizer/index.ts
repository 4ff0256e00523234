export { ClipTokenizer, CONTEXT_LENGTH } from './clip-tokenizer';
export type { ChunkOptions, ClipTokenizerOptions, Padding, TokenizeOptions } from './clip-tokenizer';
export { loadBpeVocabulary, bytesToUnicode } from './bpe-vocabulary';
export type { BpeVocabulary } from './bpe-vocabulary';
export { cleanPrompt, collapseWhitespace, pythonHtmlUnescape } from './text-cleaning';
export type { PromptCleaning } from './text-cleaning';
