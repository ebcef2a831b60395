import type { Database, Kysely } from '@trellis/db';

// Devices that signed in successfully before (OWASP "device cookies"): failed sign-ins
// from elsewhere do not lock them out. The sign-in throttling that uses them lives in
// the auth router; this file owns the table.

/** Forgets every trusted device of a user (after a password reset or an account takeover). */
export async function forgetTrustedDevices(db: Kysely<Database>, userId: string): Promise<void> {
  await db.deleteFrom('trusted_devices').where('user_id', '=', userId).execute();
}
