/**
 * Turns whatever a user typed into a safe FTS5 query: the words (letters and digits) of
 * the text, each quoted and prefix-matched, all required. Quotes, `*`, `NEAR`, `OR`,
 * parentheses and column filters are data, never syntax. Null when no word is left.
 */
export function toFtsQuery(text: string): string | null {
  const words = text.normalize('NFKC').match(/[\p{L}\p{N}]+/gu) ?? [];
  if (words.length === 0) return null;
  // Bounded: a query is a search box, not a document.
  return words
    .slice(0, 16)
    .map((word) => `"${word.slice(0, 64)}"*`)
    .join(' ');
}
