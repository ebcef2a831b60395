import {
  HANDLE_MAX_LENGTH,
  HANDLE_MIN_LENGTH,
  HANDLE_PATTERN,
  PASSWORD_MAX_LENGTH,
  PASSWORD_MIN_LENGTH,
} from '@trellis/auth';
import { ROLES } from '@trellis/db';
import { z } from 'zod';

// Input building blocks shared by routers. Every string and array is bounded.

// The text rules, loosest first. Each refuses what a database cannot store as sent, on
// both dialects so that answers do not depend on which one a server uses: broken UTF-16
// (lone surrogates), which UTF-8 text (SQLite's and PostgreSQL's) silently replaces, and
// NUL, which PostgreSQL text cannot hold, even as a query parameter.

/**
 * Text stored exactly as sent (comment bodies, task descriptions): no trim, no
 * normalisation, no HTML escaping (clients escape on output); only what the databases
 * cannot store verbatim is refused.
 */
export function zVerbatimText(length: { min?: number; max: number }) {
  const bounded = length.min === undefined ? z.string() : z.string().min(length.min);
  return bounded
    .max(length.max)
    .refine((text) => !/\p{Cs}/u.test(text), 'Must not contain broken UTF-16 (lone surrogates)')
    .refine((text) => !text.includes('\u0000'), 'Must not contain NUL characters');
}

/** True when `text` holds no control character (NUL among them) and no broken UTF-16. */
export const printable = (text: string): boolean => !/[\p{Cc}\p{Cs}]/u.test(text);

/** Trimmed text of 1–`max` characters, printable (names, the label a list filters by). */
export function zPrintableText(max: number) {
  return z.string().trim().min(1).max(max).refine(printable, 'Must not contain control characters');
}

/** True when `text` is printable and one line: no line or paragraph separator either. */
const singleLine = (text: string): boolean => printable(text) && !/[\p{Zl}\p{Zp}]/u.test(text);

/** One trimmed line of 1–`max` characters (task titles and labels). */
export function zLine(max: number) {
  return z.string().trim().min(1).max(max).refine(singleLine, 'Must be one line of text');
}

/** The longest task label; the label `tasks.list` filters by is bounded alike. */
export const LABEL_MAX_LENGTH = 40;

/** An opaque ID as issued by the server (never a control character). */
export const zId = z.string().min(1).max(64).refine(printable, 'Must be an ID as issued');

/** An email address, compared case-insensitively. */
export const zEmail = z.email().max(254);

/** A new password: 10–256 characters, never truncated. */
export const zNewPassword = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);

/**
 * True when `text` holds no invisible Unicode format character (\p{Cf}): no bidi override or
 * isolate (U+202E makes what follows it display reversed, so `Ada\u202Egnp.exe` shows as
 * `Adaexe.png`), no zero-width space, word joiner or byte-order mark. The zero-width
 * joiner and non-joiner stay allowed: Persian and Indic names and emoji sequences need them.
 */
export const formatFree = (text: string): boolean => !FORMAT_CHARACTER.test(text);

/** One invisible format character as `formatFree` means it (add `g` to find them all). */
export const FORMAT_CHARACTER = /(?![\u200c\u200d])\p{Cf}/u;

/**
 * A display name, shown to other people: no control characters, no broken UTF-16 (lone
 * surrogates), and no invisible formatting that could make it read as something else.
 */
export const zName = zPrintableText(100).refine(
  formatFree,
  'Must not contain invisible formatting characters (such as right-to-left overrides)',
);

/**
 * HANDLE_PATTERN in any case: what a client may send. Widened to `A-Za-z` rather than given
 * the `i` flag, which JSON Schema's `pattern` drops, so that the OpenAPI document accepts
 * `Bob_B` as the server does.
 */
const HANDLE_INPUT_PATTERN = new RegExp(HANDLE_PATTERN.source.replaceAll('a-z', 'A-Za-z'));

/**
 * A handle (how others mention a person, `@jane-doe`): letters, digits, `_` and `-`, 2–32
 * characters, starting and ending with a letter or digit. Any case is accepted; it is
 * stored (and compared) in lower case. Checked before lower-casing: lower-cased first, a
 * non-ASCII letter such as the Kelvin sign (U+212A → `k`) would slip through.
 */
export const zHandle = z
  .string()
  .trim()
  .regex(
    HANDLE_INPUT_PATTERN,
    `Must be ${HANDLE_MIN_LENGTH}–${HANDLE_MAX_LENGTH} letters, digits, "_" or "-", starting and ending with a letter or digit`,
  )
  .toLowerCase();

/** A workspace slug: lowercase letters, digits and single hyphens, 2–48 characters. */
export const zSlug = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lowercase letters, digits and single hyphens');

/** A member's role in a workspace. */
export const zRole = z.enum(ROLES);

/**
 * An instant as ISO 8601 with an offset, stored and compared in UTC (`toISOString`), so that
 * due dates and filters on them sort as text like every timestamp.
 */
export const zInstant = z.iso
  .datetime({ offset: true })
  .transform((text) => new Date(text).toISOString())
  .refine((iso) => /^\d{4}-/.test(iso), 'Must fall in the years 0000–9999');
