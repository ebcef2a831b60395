import type { RouterOutputs } from '@trellis/client';

/** The signed-in person as `auth.me` describes them (email verified, has a password, …). */
export type User = RouterOutputs['auth']['me']['user'];
