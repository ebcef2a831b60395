import type { Resolve } from '../webhooks/url-policy.js';

/**
 * A resolver that answers from `table`, for host names that exist nowhere (the machine's
 * DNS knows only localhost): what a public name, a name with a private address, or a
 * rebinding one would resolve to. Unknown names fail as the system's lookup does.
 */
export function dnsAnswers(table: Record<string, string[]>): Resolve {
  return async (hostname) => {
    const found = table[hostname];
    if (!found) throw Object.assign(new Error(`no ${hostname}`), { code: 'ENOTFOUND' });
    return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}
