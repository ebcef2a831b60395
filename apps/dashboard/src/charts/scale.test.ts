import { describe, expect, it } from 'vitest';
import { dailySeries, niceMax } from './scale';

describe('dailySeries', () => {
  it('pairs each created day with that day’s completed count, 0 when the day has none', () => {
    const created = [
      { day: '2030-01-01', count: 3 },
      { day: '2030-01-02', count: 0 },
      { day: '2030-01-03', count: 5 },
    ];
    const completed = [
      { day: '2030-01-03', count: 2 },
      { day: '2030-01-01', count: 1 },
    ];

    expect(dailySeries(created, completed)).toEqual([
      { day: '2030-01-01', created: 3, completed: 1 },
      { day: '2030-01-02', created: 0, completed: 0 },
      { day: '2030-01-03', created: 5, completed: 2 },
    ]);
  });

  it('is empty for no days', () => {
    expect(dailySeries([], [])).toEqual([]);
  });
});

describe('niceMax', () => {
  it.each([
    [0, 1],
    [0.5, 1],
    [1, 1],
    [2, 2],
    [3, 5],
    [7, 10],
    [10, 10],
    [11, 20],
    [45, 50],
    [101, 200],
    [1000, 1000],
  ])('rounds %d up to %d', (max, top) => {
    expect(niceMax(max)).toBe(top);
  });
});
