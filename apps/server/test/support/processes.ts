// Several server processes (dist/main.js, as an operator runs it) on one fresh test
// database of the dialect under test, for what must hold across processes, not only in one.
import { createClient } from '@trellis/client';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { type MainProcess, startMainProcess } from '../../src/test/main-process.js';
import { uniqueEmail } from './accounts.js';

/** Started processes and the database they share. */
export interface ProcessGroup {
  database: TestDatabase;
  /** Each process's base URL, in start order. */
  urls: string[];
  /** Stops every process (SIGTERM), then removes the database; resolves with exit codes. */
  stop(): Promise<(number | null)[]>;
}

/**
 * Starts `count` processes with `env` on top of the defaults (the database already
 * migrated, so that no two processes migrate at once).
 */
export async function startProcesses(
  count: number,
  env: Record<string, string> = {},
): Promise<ProcessGroup> {
  const database = await createTestDatabase();
  const processEnv = { DATABASE_URL: database.url, MIGRATE_ON_START: 'false', ...env };
  const processes: MainProcess[] = Array.from({ length: count }, () =>
    startMainProcess(processEnv),
  );
  const stop = async () => {
    const codes = await Promise.all(processes.map((process) => process.stop()));
    await database.destroy();
    return codes;
  };
  try {
    const urls = await Promise.all(processes.map((process) => process.listening));
    return { database, urls, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** A new account signed up on `url`, with a client holding its session. */
export async function signUpOn(url: string, tag = 'user') {
  const email = uniqueEmail(tag);
  const { user, session } = await createClient({ url }).auth.signUp.mutate({
    email,
    password: 'correct horse battery staple',
    name: `Name ${tag}`,
  });
  return { user, email, token: session.token, client: createClient({ url, token: session.token }) };
}
