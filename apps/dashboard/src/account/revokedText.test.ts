import { describe, expect, it } from 'vitest';
import { revokedText } from './revokedText';

describe('revokedText', () => {
  it.each([
    [0, 'No other session was signed in.'],
    [1, '1 other session was signed out.'],
    [3, '3 other sessions were signed out.'],
  ])('says %d sessions as "%s"', (revoked, text) => {
    expect(revokedText(revoked)).toBe(text);
  });
});
