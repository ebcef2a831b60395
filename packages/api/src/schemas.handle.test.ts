// zHandle: any case in, lower case out, and the JSON Schema clients are given (the OpenAPI
// document's) accepts exactly what the server does.
import { HANDLE_PATTERN } from '@trellis/auth';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { zHandle } from './schemas.js';

const published = z.toJSONSchema(zHandle, { io: 'input' }) as { pattern?: string };
const matchesPublished = (text: string) => new RegExp(published.pattern ?? '(?!)').test(text);

describe('zHandle', () => {
  it('accepts any case, stores lower case, and its published pattern agrees', () => {
    for (const handle of ['Bob_B', 'ADA', 'ada-l', 'x9', 'A'.repeat(32)]) {
      expect(zHandle.parse(handle)).toBe(handle.toLowerCase());
      expect(zHandle.parse(handle)).toMatch(HANDLE_PATTERN);
      expect(matchesPublished(handle), handle).toBe(true);
    }
  });

  it('refuses what the published pattern refuses, a letter lower-casing to ASCII included', () => {
    // U+212A KELVIN SIGN lower-cases to "k": checked after lower-casing it would pass.
    for (const handle of [
      'a',
      'A'.repeat(33),
      '_Ada',
      'Ada-',
      'dot.ted',
      'ü-mlaut',
      '\u212Aelvin',
    ]) {
      expect(zHandle.safeParse(handle).success, handle).toBe(false);
      expect(matchesPublished(handle), handle).toBe(false);
    }
  });
});
