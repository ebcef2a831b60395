// Durations in settings are written as people say them (`5s`, `30m`, `3d`), not in ms.

const UNIT_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export const DURATION_HINT = 'a number and a unit: ms, s, m, h or d (e.g. 30s, 5m, 2h, 3d)';

/** `text` in milliseconds (`90s` → 90000, `1.5h` → 5400000), or undefined if it is no duration. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  const [, amount = '', unit = 'ms'] = match;
  return Math.round(Number(amount) * UNIT_MS[unit as keyof typeof UNIT_MS]);
}
