// Differential tests of the tRPC transport (src/trpc/*.test.ts): the same requests to a
// server on each handler, compared once each side's random ids and tokens are named.
import type { TrpcHandlerKind } from '../../src/trpc/index.js';

/** Both tRPC handlers, lean first. */
export const HANDLERS = ['lean', 'official'] as const satisfies readonly TrpcHandlerKind[];

/** `{ws}`-style placeholders replaced by one side's values. */
export function filled(text: string, values: Record<string, string>): string {
  return text.replace(/\{(\w+)\}/g, (match, name: string) => values[name] ?? match);
}

/** One side's random values replaced by their names, so that both sides compare equal. */
export function named(text: string, values: Record<string, string>): string {
  let out = text;
  // Longest first: a session id is a prefix of its token.
  for (const [name, value] of Object.entries(values).sort((a, b) => b[1].length - a[1].length)) {
    if (value) out = out.split(value).join(`<${name}>`);
  }
  // Sessions (and sign-in's trusted-device tokens) created by the compared request itself.
  return out
    .replace(/\b[a-z2-9]{24}\.[a-z2-9]{32}\b/g, '<new session token>')
    .replace(/\btrd_[a-z2-9]{56}\b/g, '<new device token>');
}
