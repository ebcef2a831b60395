import { describe, expect, it } from 'vitest';
import { tokenFromFragment } from './fragment';

describe('tokenFromFragment', () => {
  it('reads the token of a mailed link’s fragment', () => {
    expect(tokenFromFragment('#token=trp_abc123')).toBe('trp_abc123');
    expect(tokenFromFragment('#other=1&token=trv_x')).toBe('trv_x');
    expect(tokenFromFragment('token=trv_x')).toBe('trv_x');
  });

  it('trims spaces a mail program may have added around it', () => {
    expect(tokenFromFragment('#token=%20trv_x%20')).toBe('trv_x');
  });

  it('is null without a token', () => {
    expect(tokenFromFragment('')).toBeNull();
    expect(tokenFromFragment('#')).toBeNull();
    expect(tokenFromFragment('#token=')).toBeNull();
    expect(tokenFromFragment('#token=%20')).toBeNull();
    expect(tokenFromFragment('#other=1')).toBeNull();
  });
});
