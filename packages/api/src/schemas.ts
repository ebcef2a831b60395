import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '@trellis/auth';
import { z } from 'zod';

// Input building blocks shared by routers. Every string and array is bounded.

/**
 * True when `text` holds no control character and no broken UTF-16 (lone surrogate). NUL in
 * particular: PostgreSQL text cannot hold it, and refuses it even as a query parameter.
 */
export const printable = (text: string): boolean => !/[\p{Cc}\p{Cs}]/u.test(text);

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
export const formatFree = (text: string): boolean => !/(?![\u200c\u200d])\p{Cf}/u.test(text);

/**
 * A display name, shown to other people: no control characters, no broken UTF-16 (lone
 * surrogates), and no invisible formatting that could make it read as something else.
 */
export const zName = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine(printable, 'Must not contain control characters')
  .refine(
    formatFree,
    'Must not contain invisible formatting characters (such as right-to-left overrides)',
  );

/** A workspace slug: lowercase letters, digits and single hyphens, 2–48 characters. */
export const zSlug = z
  .string()
  .min(2)
  .max(48)
  .regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'Use lowercase letters, digits and single hyphens');
