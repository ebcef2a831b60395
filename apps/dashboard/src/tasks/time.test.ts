import { describe, expect, it } from 'vitest';
import { formatTime } from './time';

describe('formatTime', () => {
  it('writes a timestamp as a date and time in the reader’s language', () => {
    const iso = '2030-06-01T09:30:00.000Z';
    const expected = new Intl.DateTimeFormat(undefined, {
      dateStyle: 'medium',
      timeStyle: 'short',
    }).format(new Date(iso));

    expect(formatTime(iso)).toBe(expected);
    expect(formatTime(iso)).toMatch(/2030/);
  });

  it('shows a value that is not a timestamp as it came', () => {
    expect(formatTime('not a date')).toBe('not a date');
    expect(formatTime('')).toBe('');
  });
});
