import { describe, expect, it } from 'vitest';
import { isStatus, PRIORITIES, priorityName, STATUSES } from './taskFields';

describe('STATUSES', () => {
  it('lists the statuses in the order work goes through them', () => {
    expect(STATUSES).toEqual(['backlog', 'todo', 'in_progress', 'done', 'canceled']);
  });
});

describe('priorityName', () => {
  it('names each priority from 0 (none) to 4 (urgent)', () => {
    expect(PRIORITIES.map(({ value }) => priorityName(value))).toEqual([
      'none',
      'low',
      'medium',
      'high',
      'urgent',
    ]);
  });

  it('writes an unknown priority as its number', () => {
    expect(priorityName(7)).toBe('7');
  });
});

describe('isStatus', () => {
  it('is true for the statuses and nothing else', () => {
    for (const status of STATUSES) expect(isStatus(status)).toBe(true);
    expect(isStatus('blocked')).toBe(false);
    expect(isStatus('TODO')).toBe(false);
    expect(isStatus('')).toBe(false);
  });
});
