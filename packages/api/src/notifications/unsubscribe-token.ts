// The token of a digest's unsubscribe link: `tru_` and the id of the newest notification
// that digest listed. That id is 128 random bits (newId) that only its recipient ever sees
// (their inbox, their mail), so holding it proves what the link must prove: that one can
// read this person's mail or inbox. It needs no row of its own, so every digest's link
// keeps working (a person clicks the link in whichever mail they open), until the
// notification is deleted or UNSUBSCRIBE_LINK_TTL_MS after it was mailed. What it can do
// is one harmless thing, turning digests off, so it is not stored hashed; repeating it
// changes nothing.

const PREFIX = 'tru_';
const ID = /^[A-Za-z0-9_-]{22}$/;

/** How long after its mail an unsubscribe link works. */
export const UNSUBSCRIBE_LINK_TTL_MS = 60 * 24 * 60 * 60 * 1000;

/** The unsubscribe token of a digest whose newest notification is `notificationId`. */
export function unsubscribeTokenFor(notificationId: string): string {
  return `${PREFIX}${notificationId}`;
}

/** The notification id an unsubscribe token names, or null if it cannot be one. */
export function parseUnsubscribeToken(token: string): string | null {
  if (!token.startsWith(PREFIX)) return null;
  const id = token.slice(PREFIX.length);
  return ID.test(id) ? id : null;
}
