import { decodeHTML } from 'entities';

/**
 * Prompt cleaning before BPE, as each reference tokenizer does it. ftfy is never applied (the reference fixtures
 * were made without it, and it is a no-op on text without mojibake).
 * - 'openai': OpenAI CLIP / open_clip (HPS v1, HPS v2, CLIP score, aesthetic): HTML-unescape twice with Python's
 *   `html.unescape` semantics, collapse whitespace with Python's `\s`, strip, lowercase.
 * - 'transformers': HF CLIPTokenizer as diffusers environments install it (no ftfy, so it falls back to BERT's
 *   BasicTokenizer): drop control characters, space out CJK ideographs, NFC, split on whitespace, lowercase.
 * - 'transformers-ftfy': HF CLIPTokenizer with ftfy installed, or CLIPTokenizerFast (PickScore's processor): NFC
 *   (ftfy's and the fast normalizer's), collapse whitespace, lowercase; no HTML unescaping. ftfy's other repairs
 *   (mojibake, curly quotes, ligatures, full-width forms) are not emulated.
 */
export type PromptCleaning = 'openai' | 'transformers' | 'transformers-ftfy';

// Python's str.isspace() set, which is what `re.sub(r'\s+', ' ', text)` and `str.strip()` use (JS `\s` differs:
// it lacks \x1c-\x1f and \x85 and adds \ufeff).
const PYTHON_WHITESPACE =
  '\\t\\n\\v\\f\\r\\x1c-\\x1f \\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';
const WHITESPACE_RUN = new RegExp(`[${PYTHON_WHITESPACE}]+`, 'g');
const EDGE_WHITESPACE = new RegExp(`^[${PYTHON_WHITESPACE}]+|[${PYTHON_WHITESPACE}]+$`, 'g');

// Python's html._charref pattern.
const CHAR_REFERENCE = /&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)/g;

// HTML5 numeric reference replacements (Python's html._invalid_charrefs).
// prettier-ignore
const NUMERIC_REPLACEMENTS: ReadonlyMap<number, string> = new Map([
  [0x00, '\ufffd'], [0x0d, '\r'], [0x80, '\u20ac'], [0x81, '\x81'], [0x82, '\u201a'], [0x83, '\u0192'],
  [0x84, '\u201e'], [0x85, '\u2026'], [0x86, '\u2020'], [0x87, '\u2021'], [0x88, '\u02c6'], [0x89, '\u2030'],
  [0x8a, '\u0160'], [0x8b, '\u2039'], [0x8c, '\u0152'], [0x8d, '\x8d'], [0x8e, '\u017d'], [0x8f, '\x8f'],
  [0x90, '\x90'], [0x91, '\u2018'], [0x92, '\u2019'], [0x93, '\u201c'], [0x94, '\u201d'], [0x95, '\u2022'],
  [0x96, '\u2013'], [0x97, '\u2014'], [0x98, '\u02dc'], [0x99, '\u2122'], [0x9a, '\u0161'], [0x9b, '\u203a'],
  [0x9c, '\u0153'], [0x9d, '\x9d'], [0x9e, '\u017e'], [0x9f, '\u0178'],
]);

/** Python's html._invalid_codepoints: references to these decode to nothing. */
function isDroppedCodePoint(cp: number): boolean {
  if ((cp >= 0x1 && cp <= 0x8) || cp === 0xb || (cp >= 0xe && cp <= 0x1f) || (cp >= 0x7f && cp <= 0x9f))
    return true;
  if (cp >= 0xfdd0 && cp <= 0xfdef) return true;
  return (cp & 0xfffe) === 0xfffe; // U+xFFFE and U+xFFFF of every plane
}

function decodeNumericReference(body: string): string {
  const hex = body[1] === 'x' || body[1] === 'X';
  const digits = body.slice(hex ? 2 : 1).replace(/;$/, '');
  const cp = parseInt(digits, hex ? 16 : 10);
  const replacement = NUMERIC_REPLACEMENTS.get(cp);
  if (replacement !== undefined) return replacement;
  if ((cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff) return '\ufffd';
  if (isDroppedCodePoint(cp)) return '';
  return String.fromCodePoint(cp);
}

/**
 * Python's `html.unescape`: its scanner and numeric rules, with the HTML5 named-entity table (and the
 * longest-legacy-prefix rule for references without ';') from the `entities` package.
 */
export function pythonHtmlUnescape(text: string): string {
  if (!text.includes('&')) return text;
  return text.replace(CHAR_REFERENCE, (_match, body: string) =>
    body.startsWith('#') ? decodeNumericReference(body) : decodeHTML(`&${body}`),
  );
}

/** Python's `re.sub(r'\s+', ' ', text).strip()`. */
export function collapseWhitespace(text: string): string {
  return text.replace(WHITESPACE_RUN, ' ').replace(EDGE_WHITESPACE, '');
}

// BasicTokenizer._clean_text: \t \n \r and Zs become spaces; other control/format (category C), NUL, U+FFFD vanish.
const BERT_UNCLEAN = /[\p{C}\p{Zs}\ufffd]/gu;
const BERT_SPACE = /^[\t\n\r\p{Zs}]$/u;
// BasicTokenizer._is_chinese_char ranges (CJK ideographs only: kana and hangul are left alone).
const CJK_IDEOGRAPH =
  /[\u4e00-\u9fff\u3400-\u4dbf\u{20000}-\u{2a6df}\u{2a700}-\u{2b73f}\u{2b740}-\u{2b81f}\u{2b820}-\u{2ceaf}\uf900-\ufaff\u{2f800}-\u{2fa1f}]/gu;

/** transformers' BasicTokenizer(strip_accents=False, do_split_on_punc=False).tokenize, joined by spaces. */
function transformersBasicClean(text: string): string {
  const cleaned = text.replace(BERT_UNCLEAN, (ch) => (BERT_SPACE.test(ch) ? ' ' : ''));
  const spaced = cleaned.replace(CJK_IDEOGRAPH, (ch) => ` ${ch} `).normalize('NFC');
  return collapseWhitespace(spaced).toLowerCase();
}

/** The cleaned text the reference's pre-tokenizer regex runs on. */
export function cleanPrompt(text: string, cleaning: PromptCleaning): string {
  switch (cleaning) {
    case 'openai': {
      const unescaped = pythonHtmlUnescape(pythonHtmlUnescape(text)).replace(EDGE_WHITESPACE, '');
      return collapseWhitespace(unescaped).toLowerCase();
    }
    case 'transformers':
      return transformersBasicClean(text);
    case 'transformers-ftfy':
      return collapseWhitespace(text.normalize('NFC')).toLowerCase();
  }
}
