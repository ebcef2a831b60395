import type { Role } from '@trellis/db';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { TRPCError } from '@trpc/server';
import { afterEach, beforeEach, expect } from 'vitest';
import { type ApiConfig, createContext, type RequestInfo } from '../context.js';
import { createCaller } from '../root.js';
import { testWebhookSettings } from './webhook-settings.js';

/** The deployment settings tests run with: plain-HTTP localhost, no extra origins. */
export const testConfig: ApiConfig = {
  secureCookies: false,
  trustedOrigins: [],
  publicUrl: 'http://localhost:3000',
  webhooks: testWebhookSettings,
};
let counter = 0;

/** A request as a plain script would send it: no cookie, no Origin. */
export function testRequest(overrides: Partial<RequestInfo> = {}): RequestInfo {
  return {
    ip: '127.0.0.1',
    userAgent: 'vitest',
    authorization: undefined,
    cookie: undefined,
    origin: undefined,
    host: 'localhost:3000',
    secFetchSite: undefined,
    idempotencyKey: undefined,
    ...overrides,
  };
}

/** A caller plus the Set-Cookie and other headers its calls produced. */
export interface TestCaller {
  api: ReturnType<typeof createCaller>;
  setCookies: string[];
  headers: Record<string, string>;
}

/** Procedures called in-process against a real, migrated SQLite file. */
export interface Harness {
  db: TestDatabase['db'];
  /** A caller whose requests carry these headers. */
  caller(req?: Partial<RequestInfo>): TestCaller;
  /** A caller authenticated with `Authorization: Bearer <token>`. */
  as(token: string): TestCaller['api'];
  /**
   * Signs up a fresh user; returns the user, token and a caller acting as them. The user's
   * email counts as verified unless `{ verified: false }`.
   */
  signUpUser(
    name?: string,
    options?: { verified?: boolean },
  ): Promise<{
    user: { id: string; email: string; name: string; handle: string };
    token: string;
    email: string;
    password: string;
    api: TestCaller['api'];
  }>;
  /** Gives `userId` a role in a workspace by writing the membership row directly. */
  addMember(workspaceId: string, userId: string, role: Role, joinedAt?: Date): Promise<void>;
  destroy(): Promise<void>;
}

/** A clock tests move by hand. */
export interface TestClock {
  now(): Date;
  advance(ms: number): void;
}

/** A clock that starts at the real time and moves only when told. */
export function testClock(start: Date = new Date()): TestClock {
  let current = start.getTime();
  return {
    now: () => new Date(current),
    advance: (ms) => {
      current += ms;
    },
  };
}

/** Creates a harness on a fresh temp database; call `destroy()` after each test. */
export async function createHarness(overrides: Partial<ApiConfig> = {}): Promise<Harness> {
  const database = await createTestDatabase();
  const config: ApiConfig = { ...testConfig, ...overrides };
  const harness: Harness = {
    db: database.db,
    caller(req = {}) {
      const setCookies: string[] = [];
      const headers: Record<string, string> = {};
      // A fresh context per call, as each HTTP request gets: nothing computed for one
      // call (e.g. the session lookup) may leak into the next.
      const newContext = () =>
        createContext({
          db: database.db,
          config,
          req: testRequest(req),
          setCookie: (value) => setCookies.push(value),
          setHeader: (name, value) => {
            headers[name.toLowerCase()] = value;
          },
        });
      return { api: createCaller(newContext), setCookies, headers };
    },
    as(token) {
      return harness.caller({ authorization: `Bearer ${token}` }).api;
    },
    async signUpUser(name = 'Ada Lovelace', { verified = true } = {}) {
      counter += 1;
      const email = `user${counter}-${Date.now()}@example.com`;
      const password = 'correct horse battery staple';
      const { user, session } = await harness.caller().api.auth.signUp({ email, password, name });
      if (verified) {
        // Arrange: most tests need a person who proved their address (accepting an invite
        // requires it), and the harness has no mailer to deliver the link with; the
        // verification flow itself is tested over HTTP with a real mailbox (apps/server).
        await database.db
          .updateTable('users')
          .set({ email_verified_at: (config.clock?.() ?? new Date()).toISOString() })
          .where('id', '=', user.id)
          .execute();
      }
      return { user, token: session.token, email, password, api: harness.as(session.token) };
    },
    async addMember(workspaceId, userId, role, joinedAt = config.clock?.() ?? new Date()) {
      await database.db
        .insertInto('memberships')
        .values({
          workspace_id: workspaceId,
          user_id: userId,
          role,
          created_at: joinedAt.toISOString(),
        })
        .execute();
    },
    destroy: () => database.destroy(),
  };
  return harness;
}

/**
 * A fresh harness, with its clock at `start`, for every test of the calling file (and
 * destroyed after it): `use` hands them to the file's own `harness` and `clock` variables.
 */
export function harnessForEachTest(
  start: Date,
  use: (harness: Harness, clock: TestClock) => void,
): void {
  let current: Harness | undefined;
  beforeEach(async () => {
    const clock = testClock(start);
    current = await createHarness({ clock: clock.now });
    use(current, clock);
  });
  afterEach(async () => {
    await current?.destroy();
    current = undefined;
  });
}

/** Awaits a call that must fail and returns the TRPCError it failed with. */
export async function rejection(call: Promise<unknown>): Promise<TRPCError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(TRPCError);
  return outcome as TRPCError;
}
