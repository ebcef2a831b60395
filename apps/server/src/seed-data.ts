import type { Role } from '@trellis/db';

// The vocabulary `pnpm seed` builds its demo workspace from. Random but repeatable: a
// seeded generator makes every run tell the same story, which benchmarks rely on.

/** The password every demo account is created with. */
export const DEMO_PASSWORD = 'correct horse battery staple';

/** The demo accounts and their roles in the demo workspace (the first is its owner). */
export const DEMO_USERS: readonly { name: string; email: string; role: Role }[] = [
  { name: 'Ada Lovelace', email: 'ada@example.com', role: 'owner' },
  { name: 'Grace Hopper', email: 'grace@example.com', role: 'admin' },
  { name: 'Alan Turing', email: 'alan@example.com', role: 'member' },
  { name: 'Katherine Johnson', email: 'katherine@example.com', role: 'member' },
  { name: 'Margaret Hamilton', email: 'margaret@example.com', role: 'member' },
  { name: 'Edsger Dijkstra', email: 'edsger@example.com', role: 'member' },
  { name: 'Barbara Liskov', email: 'barbara@example.com', role: 'member' },
  { name: 'Donald Knuth', email: 'donald@example.com', role: 'viewer' },
];

/** The demo projects; `weight` is each one's share of the tasks. */
export const DEMO_PROJECTS = [
  { key: 'ENG', name: 'Engineering', weight: 35 },
  { key: 'WEB', name: 'Website', weight: 20 },
  { key: 'MOB', name: 'Mobile app', weight: 20 },
  { key: 'OPS', name: 'Operations', weight: 15 },
  { key: 'DES', name: 'Design', weight: 10 },
] as const;

/** Labels tasks draw from. */
export const LABELS = [
  'bug',
  'feature',
  'chore',
  'docs',
  'security',
  'performance',
  'ux',
  'backend',
  'frontend',
  'infra',
  'tech-debt',
  'customer',
] as const;

const VERBS = [
  'Fix',
  'Add',
  'Refactor',
  'Investigate',
  'Update',
  'Remove',
  'Document',
  'Speed up',
  'Migrate',
  'Redesign',
  'Test',
  'Review',
];
const THINGS = [
  'login flow',
  'billing page',
  'search index',
  'API rate limiter',
  'onboarding emails',
  'dashboard charts',
  'CSV export',
  'session handling',
  'mobile navigation',
  'dark mode',
  'webhook retries',
  'audit log',
  'notification settings',
  'image uploads',
  'password reset',
  'team invitations',
  'invoice PDFs',
  'cache layer',
  'release pipeline',
  'error reporting',
  'keyboard shortcuts',
  'timezone handling',
  'backup job',
  'feature flags',
];
const CONTEXTS = [
  '',
  '',
  ' for Safari',
  ' on slow networks',
  ' in the admin panel',
  ' for large workspaces',
  ' after the last deploy',
  ' for new users',
  ' behind a feature flag',
  ' on Android',
];
const SENTENCES = [
  'Customers reported this twice last week.',
  'Steps to reproduce are in the support ticket.',
  'This blocks the next release.',
  'We should measure before and after the change.',
  'The current behaviour surprised several people in the last review.',
  'Keep the old endpoint working until clients have moved.',
  'Needs a migration; check the index first.',
  'Pair with design on the final copy.',
  'Add a regression test so that it stays fixed.',
  'Low risk, but touches the hot path.',
  'Logs show a spike in errors around midnight UTC.',
  'See the linked discussion for the trade-offs.',
];
const COMMENTS = [
  'I can take this one.',
  'Reproduced locally, looking into it.',
  'Pushed a first draft, feedback welcome.',
  'Is this still needed after the redesign?',
  'Blocked on the API change; will pick it up after.',
  'Looks good to me.',
  'Can we split this into two tasks?',
  'Added screenshots to the description.',
  'Done on staging, verifying in production tomorrow.',
  'The root cause was a missing index.',
];

/** A seeded source of random choices. */
export interface Random {
  /** A number in [0, 1). */
  next(): number;
  /** An integer in [min, max]. */
  int(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
  /** True with probability `p`. */
  chance(p: number): boolean;
}

/** A repeatable generator (mulberry32): the same seed gives the same sequence. */
export function seededRandom(seed: number): Random {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (min: number, max: number) => min + Math.floor(next() * (max - min + 1));
  return {
    next,
    int,
    pick: <T>(items: readonly T[]): T => items[int(0, items.length - 1)] as T,
    chance: (p) => next() < p,
  };
}

/** One item of `items`, each as likely as its weight. */
export function weighted<T extends { weight: number }>(random: Random, items: readonly T[]): T {
  const total = items.reduce((sum, item) => sum + item.weight, 0);
  let left = random.next() * total;
  for (const item of items) {
    left -= item.weight;
    if (left < 0) return item;
  }
  return items.at(-1) as T;
}

/** A task title such as "Fix password reset for Safari". */
export function taskTitle(random: Random): string {
  return `${random.pick(VERBS)} ${random.pick(THINGS)}${random.pick(CONTEXTS)}`;
}

/** A task description of a few sentences, sometimes empty. */
export function taskDescription(random: Random): string {
  if (random.chance(0.2)) return '';
  const count = random.int(1, 4);
  return Array.from({ length: count }, () => random.pick(SENTENCES)).join(' ');
}

/** A comment body. */
export function commentBody(random: Random): string {
  return random.pick(COMMENTS);
}

/** Up to three distinct labels, sorted (as tasks return them). */
export function taskLabels(random: Random): string[] {
  const count = weighted(random, [
    { count: 0, weight: 30 },
    { count: 1, weight: 40 },
    { count: 2, weight: 20 },
    { count: 3, weight: 10 },
  ]).count;
  const labels = new Set<string>();
  while (labels.size < count) labels.add(random.pick(LABELS));
  return [...labels].sort();
}
