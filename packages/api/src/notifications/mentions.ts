// Mentions: `@handle` or `@email` in a comment or a task's description. Only an `@` at the
// start of the text or after a character that is not part of a word counts, so the `@` in
// `bob@x.org` (prose, not a mention) does not mention `x.org`. Case does not matter;
// punctuation after a mention (`@jane.`, `@jane,`, `(@jane)`) is not part of it.

/** One `@…` found in a text. */
export interface MentionToken {
  /** Exactly what was written, `@` included (`@Jane`). */
  text: string;
  /** What it names, lower case: a handle or an email. */
  value: string;
  kind: 'handle' | 'email';
}

// An email first (its local part may hold dots), else a handle: letters, digits, `_`, `-`,
// starting and ending with a letter or digit.
const MENTION =
  /(?<![\p{L}\p{N}_])@(?:([a-z0-9._%+-]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+)|([a-z0-9](?:[a-z0-9_-]*[a-z0-9])?))/giu;

/** The mentions of a text, in order of first appearance, each (kind, value) once. */
export function parseMentions(text: string): MentionToken[] {
  const found = new Map<string, MentionToken>();
  for (const match of text.matchAll(MENTION)) {
    const [whole, email, handle] = match;
    const token: MentionToken =
      email !== undefined
        ? { text: whole, value: email.toLowerCase(), kind: 'email' }
        : { text: whole, value: (handle ?? '').toLowerCase(), kind: 'handle' };
    const key = `${token.kind}:${token.value}`;
    if (!found.has(key)) found.set(key, token);
  }
  return [...found.values()];
}
