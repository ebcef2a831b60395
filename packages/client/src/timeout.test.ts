import { describe, expect, it } from 'vitest';
import { checkedTimeout, DEFAULT_TIMEOUT_MS } from './timeout.js';

// The deadline itself is driven over real HTTP against a peer that never answers:
// apps/server/test/client-errors.test.ts.

describe('checkedTimeout', () => {
  it('defaults to 30 s, turns off with 0 or Infinity, and refuses nonsense', () => {
    expect(checkedTimeout(undefined)).toBe(DEFAULT_TIMEOUT_MS);
    expect(DEFAULT_TIMEOUT_MS).toBe(30_000);
    expect(checkedTimeout(250)).toBe(250);
    expect(checkedTimeout(0)).toBeUndefined();
    expect(checkedTimeout(Number.POSITIVE_INFINITY)).toBeUndefined();
    // Past setTimeout's range a timer would fire at once.
    expect(checkedTimeout(2 ** 40)).toBe(2 ** 31 - 1);
    expect(() => checkedTimeout(-1)).toThrow(/timeoutMs/);
    expect(() => checkedTimeout(Number.NaN)).toThrow(/timeoutMs/);
  });
});
