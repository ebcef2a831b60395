// How procedures hand mail to the server. Procedures only queue: a mail is composed after
// the transaction that issued its link has committed, handed over with `send`, and
// delivered (with retries) by the server in the background. So an answer never waits for
// an SMTP server, and never differs in timing or content by whether a mail went out.

/** One mail, in the two forms every mail program shows: plain text and HTML. */
export interface MailMessage {
  /** One recipient address. */
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The links in the mail, in order (what a development log shows to click). */
  links: string[];
}

/** Delivers mail. `send` queues and returns at once; it never throws or rejects. */
export interface Mailer {
  send(message: MailMessage): void;
}
