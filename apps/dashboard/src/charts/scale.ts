/** One day's two counts, as the chart draws them. */
export interface DayPoint {
  day: string;
  created: number;
  completed: number;
}

/** The API's two per-day series (same days, oldest first) as one list of points. */
export function dailySeries(
  created: readonly { day: string; count: number }[],
  completed: readonly { day: string; count: number }[],
): DayPoint[] {
  const done = new Map(completed.map((row) => [row.day, row.count]));
  return created.map(({ day, count }) => ({ day, created: count, completed: done.get(day) ?? 0 }));
}

/** A "nice" top for the y axis (1, 2, 5 × 10ⁿ) at or above `max`, at least 1. */
export function niceMax(max: number): number {
  if (max <= 1) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(max));
  const step = [1, 2, 5, 10].find((f) => f * magnitude >= max) ?? 10;
  return step * magnitude;
}
