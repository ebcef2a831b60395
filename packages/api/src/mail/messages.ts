import type { MailMessage } from './mailer.js';

// The mails Trellis sends, each in plain text and HTML. Links are built from the server's
// configured public URL (PUBLIC_URL), never from the request's Host header: a forged Host
// must not turn a reset link into one that hands the token to another site. The token
// rides in the fragment (`#token=…`), which browsers never send to a server, so it stays
// out of access logs and Referer headers.

/** How long a verification or email-change link works. */
export const VERIFY_EMAIL_TTL_MS = 24 * 60 * 60 * 1000;
/** How long a password-reset link works. */
export const RESET_PASSWORD_TTL_MS = 60 * 60 * 1000;

/** A page of the dashboard with the token in its fragment. */
export function mailLink(publicUrl: string, page: string, token: string): string {
  const url = new URL(page, publicUrl);
  url.hash = `token=${encodeURIComponent(token)}`;
  return url.toString();
}

function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** A paragraph is a string, or a link shown as a button with its text. */
type Block = string | { link: string; label: string };

/** Builds both parts from the same blocks, so the text and HTML always say the same. */
function compose(to: string, subject: string, blocks: Block[]): MailMessage {
  const text = blocks
    .map((block) => (typeof block === 'string' ? block : `${block.label}:\n${block.link}`))
    .join('\n\n');
  const body = blocks
    .map((block) =>
      typeof block === 'string'
        ? `<p>${escapeHtml(block)}</p>`
        : `<p><a href="${escapeHtml(block.link)}" style="display:inline-block;padding:10px 16px;` +
          `background:#2f5bd3;color:#ffffff;text-decoration:none;border-radius:6px">` +
          `${escapeHtml(block.label)}</a></p><p style="font-size:13px;color:#555">` +
          `Or paste this address into your browser:<br>${escapeHtml(block.link)}</p>`,
    )
    .join('\n');
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>${escapeHtml(subject)}</title>` +
    `</head><body style="font-family:sans-serif;line-height:1.5;color:#222">\n${body}\n` +
    `<p style="font-size:13px;color:#555">— Trellis</p></body></html>`;
  const links = blocks.flatMap((block) => (typeof block === 'string' ? [] : [block.link]));
  return { to, subject, text: `${text}\n\n— Trellis\n`, html, links };
}

/**
 * The greeting. A name is used only for an address already proven to be the account's:
 * whoever signs up with someone else's address chooses the name, and must not get to
 * write a line of a mail that reaches that person's inbox (account pre-hijacking,
 * phishing under our sender).
 */
const greeting = (name: string | undefined) => (name ? `Hello ${name},` : 'Hello,');

/** Asks a new account to prove it owns its address (unproven: no name in it). */
export function verifyEmailMail(options: {
  publicUrl: string;
  to: string;
  token: string;
}): MailMessage {
  return compose(options.to, 'Verify your email address for Trellis', [
    greeting(undefined),
    `please confirm that ${options.to} is your address. The link works once, for 24 hours.`,
    { label: 'Verify my email', link: mailLink(options.publicUrl, '/verify-email', options.token) },
    'If you did not sign up for Trellis, ignore this mail: nothing happens without the link.',
  ]);
}

/** A link to choose a new password; `name` only when the address is verified. */
export function resetPasswordMail(options: {
  publicUrl: string;
  to: string;
  name?: string;
  token: string;
}): MailMessage {
  return compose(options.to, 'Reset your Trellis password', [
    greeting(options.name),
    'someone (we hope you) asked to reset the password of your Trellis account. The link ' +
      'works once, for 1 hour; choosing a new password signs you out everywhere.',
    {
      label: 'Choose a new password',
      link: mailLink(options.publicUrl, '/reset-password', options.token),
    },
    'If you did not ask for this, ignore this mail: your password stays as it is.',
  ]);
}

/** Sent to the new (unproven) address: confirming it makes it the account's email. */
export function confirmEmailChangeMail(options: {
  publicUrl: string;
  to: string;
  oldEmail: string;
  token: string;
}): MailMessage {
  return compose(options.to, 'Confirm your new email address for Trellis', [
    greeting(undefined),
    `please confirm that your Trellis account should use ${options.to} instead of ` +
      `${options.oldEmail}. The link works once, for 24 hours.`,
    {
      label: 'Use this address',
      link: mailLink(options.publicUrl, '/verify-email', options.token),
    },
    'If you did not ask for this, ignore this mail: nothing changes without the link.',
  ]);
}

/**
 * Sent to the old address when a change is asked for: its owner should know. `name` only
 * when that address is verified.
 */
export function emailChangeNoticeMail(options: {
  publicUrl: string;
  to: string;
  name?: string;
  newEmail: string;
}): MailMessage {
  return compose(options.to, 'Your Trellis email address is being changed', [
    greeting(options.name),
    `someone signed in to your Trellis account asked to change its email address from ` +
      `${options.to} to ${options.newEmail}. The change happens only when the link sent ` +
      'to the new address is opened.',
    'If this was not you, sign in, change your password and sign out everywhere:',
    { label: 'Open Trellis', link: new URL('/', options.publicUrl).toString() },
  ]);
}

/** One line of a notification digest: where, what, and what happened. */
export interface DigestLine {
  workspaceName: string;
  taskKey: string;
  taskTitle: string;
  /** What happened, in words ("Jane assigned it to you"). */
  what: string;
}

/**
 * The email digest of a person's unread notifications (`lines`, oldest first; `more` not
 * listed), with a link to the dashboard and one that turns these mails off. Sent only to
 * a verified address, so it greets by name.
 */
export function notificationDigestMail(options: {
  publicUrl: string;
  to: string;
  name: string;
  lines: readonly DigestLine[];
  more: number;
  unsubscribeToken: string;
}): MailMessage {
  const count = options.lines.length + options.more;
  const subject =
    count === 1 ? '1 new notification in Trellis' : `${count} new notifications in Trellis`;
  return compose(options.to, subject, [
    greeting(options.name),
    count === 1 ? 'this happened while you were away:' : 'these happened while you were away:',
    ...options.lines.map(
      (line) => `${line.workspaceName} · ${line.taskKey} ${line.taskTitle}: ${line.what}`,
    ),
    ...(options.more > 0 ? [`…and ${options.more} more.`] : []),
    { label: 'Open your inbox', link: new URL('/', options.publicUrl).toString() },
    'You get these mails because email digests are on in your notification preferences. ' +
      'To stop them, open this link (no sign-in needed):',
    {
      label: 'Unsubscribe from these emails',
      link: mailLink(options.publicUrl, '/unsubscribe', options.unsubscribeToken),
    },
  ]);
}
