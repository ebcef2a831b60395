import { z } from 'zod';

// What a person can be told about, and what they chose to hear. A preference is stored
// only once changed (inboxes.preferences, JSON); until then the defaults apply.

/** Every kind of notification, in the order the inbox's preferences list them. */
export const NOTIFICATION_KINDS = [
  'assigned',
  'mentioned',
  'commented',
  'status_changed',
  'due_soon',
  'overdue',
] as const;
/** One of NOTIFICATION_KINDS. */
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The shortest and longest time between two email digests, in minutes. */
export const DIGEST_INTERVAL_MINUTES = { min: 1, max: 1440, default: 15 } as const;

/** A person's notification preferences, as stored and as answered. */
export const notificationPreferencesSchema = z
  .object({
    /** Which kinds reach the inbox at all (a kind turned off is not recorded). */
    kinds: z.object(
      Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, z.boolean()])) as Record<
        NotificationKind,
        z.ZodBoolean
      >,
    ),
    /** Whether unread notifications are also mailed, as a digest. */
    email: z.boolean(),
    /** A digest goes out at most this often. */
    emailIntervalMinutes: z
      .number()
      .int()
      .min(DIGEST_INTERVAL_MINUTES.min)
      .max(DIGEST_INTERVAL_MINUTES.max),
  })
  .strict();
/** A person's notification preferences. */
export type NotificationPreferences = z.output<typeof notificationPreferencesSchema>;

/** What a person who never changed anything gets: every kind, with email digests. */
export const DEFAULT_PREFERENCES: NotificationPreferences = {
  kinds: Object.fromEntries(NOTIFICATION_KINDS.map((kind) => [kind, true])) as Record<
    NotificationKind,
    boolean
  >,
  email: true,
  emailIntervalMinutes: DIGEST_INTERVAL_MINUTES.default,
};

/**
 * The preferences an inbox row holds: the defaults for null, and for stored JSON the
 * defaults overlaid with what was stored (a kind added later starts on).
 */
export function preferencesOf(stored: string | null): NotificationPreferences {
  if (stored === null) return DEFAULT_PREFERENCES;
  const saved = JSON.parse(stored) as Partial<NotificationPreferences>;
  return {
    ...DEFAULT_PREFERENCES,
    ...saved,
    kinds: { ...DEFAULT_PREFERENCES.kinds, ...saved.kinds },
  };
}
