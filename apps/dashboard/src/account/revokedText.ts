/** What a password change did to the account's other sessions, in a sentence. */
export function revokedText(revoked: number): string {
  if (revoked === 0) return 'No other session was signed in.';
  return revoked === 1
    ? '1 other session was signed out.'
    : `${revoked} other sessions were signed out.`;
}
