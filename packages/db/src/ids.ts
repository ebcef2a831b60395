import { randomBytes } from 'node:crypto';

/** A new opaque, URL-safe, random ID (128 bits, 22 characters). */
export function newId(): string {
  return randomBytes(16).toString('base64url');
}

/** The current time as the ISO-8601 UTC string every table stores. */
export function isoNow(now: Date = new Date()): string {
  return now.toISOString();
}
