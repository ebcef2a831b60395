import type { Database, Kysely } from '@trellis/db';
import type { Mailer, MailMessage } from '../mail/mailer.js';
import { type DigestLine, notificationDigestMail } from '../mail/messages.js';
import {
  claimDigest,
  type DigestCandidate,
  type DigestEntry,
  digestCandidates,
  keepUnsubscribeSecret,
  markMailed,
  restoreLastDigest,
  unmailedEntries,
} from '../queries/digests.js';
import { preferencesOf } from './kinds.js';
import { issueUnsubscribeToken } from './unsubscribe-token.js';

// Email digests: one mail listing a person's unread notifications that were not mailed
// yet, at most every `emailIntervalMinutes` (their preferences), to a verified address
// only, and never listing a workspace they are no longer a member of. Every server process
// runs passes; a person's digest is claimed by moving `inboxes.last_digest_at` from the
// value read, in the transaction that marks the notifications mailed, and the mail is
// handed to the mailer after that commits: of several processes one sends it, and a
// process that dies before commit leaves it to the next pass.

/** The most notifications one digest lists (the rest are counted: "…and 12 more"). */
export const DIGEST_MAX_LINES = 50;

/** What a pass needs besides the database. */
export interface DigestOptions {
  /** People looked at per pass. */
  limit: number;
  mailer: Mailer;
  /** PUBLIC_URL: where the mail's links point. */
  publicUrl: string;
}

/** Sends the digests due at `now`; answers how many mails went to the mailer. */
export async function runDigests(
  db: Kysely<Database>,
  now: Date,
  options: DigestOptions,
): Promise<number> {
  let sent = 0;
  for (const candidate of await digestCandidates(db, options.limit)) {
    const preferences = preferencesOf(candidate.preferences);
    if (!preferences.email) {
      // Turned off: what waits now is never mailed (and leaves the scan).
      await markMailed(db, candidate.userId, now.toISOString());
      continue;
    }
    const interval = preferences.emailIntervalMinutes * 60 * 1000;
    const last = candidate.lastDigestAt;
    if (last !== null && Date.parse(last) + interval > now.getTime()) continue;
    const mail = await claimAndCompose(db, candidate, now, options.publicUrl);
    if (mail) {
      options.mailer.send(mail);
      sent += 1;
    }
  }
  return sent;
}

/** Claims one person's digest and marks its notifications mailed; the mail, or null. */
function claimAndCompose(
  db: Kysely<Database>,
  candidate: DigestCandidate,
  now: Date,
  publicUrl: string,
): Promise<MailMessage | null> {
  return db.transaction().execute(async (trx) => {
    const at = now.toISOString();
    if (!(await claimDigest(trx, candidate.userId, candidate.lastDigestAt, at))) return null;
    const { entries, total } = await unmailedEntries(trx, candidate.userId, DIGEST_MAX_LINES);
    await markMailed(trx, candidate.userId, at);
    const newest = entries.at(-1);
    if (!newest) {
      // Only notifications of workspaces they left: nothing to send, no digest spent.
      await restoreLastDigest(trx, candidate.userId, candidate.lastDigestAt);
      return null;
    }
    const unsubscribe = issueUnsubscribeToken(newest.id);
    await keepUnsubscribeSecret(trx, newest.id, unsubscribe.secretHash);
    return notificationDigestMail({
      publicUrl,
      to: candidate.email,
      name: candidate.name,
      lines: entries.map(lineOf),
      more: total - entries.length,
      unsubscribeToken: unsubscribe.token,
    });
  });
}

/** A due date as a mail shows it: `2030-06-02 15:00 UTC`. */
function when(iso: string | undefined): string {
  return iso === undefined ? 'soon' : `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC`;
}

/** One notification in words. */
function lineOf(entry: DigestEntry): DigestLine {
  const who = entry.actorName ?? 'Someone';
  const { data } = entry;
  const excerpt = data.excerpt ? `: “${data.excerpt}”` : '';
  const what: Record<DigestEntry['kind'], string> = {
    assigned: `${who} assigned it to you`,
    mentioned: `${who} mentioned you${excerpt}`,
    commented: `${who} commented${excerpt}`,
    status_changed: data.change
      ? `${who} moved it from ${data.change.from} to ${data.change.to}`
      : `${who} changed its status`,
    due_soon: `due ${when(data.dueAt)}`,
    overdue: `overdue since ${when(data.dueAt)}`,
  };
  return {
    workspaceName: entry.workspaceName,
    taskKey: data.task.key,
    taskTitle: data.task.title,
    what: what[entry.kind],
  };
}
