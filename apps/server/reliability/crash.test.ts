import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MainProcess, startMainProcess } from '../src/test/main-process.js';
import { inspectAfterCrash } from './support/crash-inspect.js';
import { type Acknowledged, startLoad } from './support/crash-load.js';
import { createWorld } from './support/crash-world.js';
import { profile } from './support/profile.js';
import { between, type Random, seededRandom, seedFrom } from './support/seeded-random.js';

// Kill -9 durability: the built server (dist/main.js) on one SQLite file, creating tasks
// under load from several clients, is SIGKILLed at a random moment, again and again. After
// each kill the file must hold every task that was acknowledged, pass integrity_check and
// have no duplicate task numbers; the restarted server must be ready and number the next
// task max + 1. Replay a run with TRELLIS_CRASH_SEED=<seed>.

const CLIENTS = 8;
/** Kills with SQLITE_SYNCHRONOUS=full, after the `normal` ones: that setting end to end. */
const FULL_KILLS = profile.name === 'nightly' ? 10 : 3;

const expectedKills = profile.kills + FULL_KILLS;
const seed = seedFrom('TRELLIS_CRASH_SEED');
const random = seededRandom(seed);
const dir = mkdtempSync(join(tmpdir(), 'trellis-crash-'));
const file = join(dir, 't.db');
const acknowledged = new Map<string, Acknowledged>();
const totals = {
  kills: 0,
  acknowledged: 0,
  inFlight: 0,
  inFlightPresent: 0,
  killAtMs: [] as number[],
};
let server: MainProcess | undefined;
let token = '';
let projectIds: string[] = [];
const started = Date.now();

function start(synchronous: 'normal' | 'full'): MainProcess {
  server = startMainProcess({ DATABASE_URL: `file:${file}`, SQLITE_SYNCHRONOUS: synchronous });
  return server;
}

async function createTask(url: string, projectId: string, title: string): Promise<Acknowledged> {
  const response = await fetch(`${url}/trpc/tasks.create`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ projectId, title }),
  });
  expect(response.status).toBe(200);
  const { result } = (await response.json()) as { result: { data: Acknowledged } };
  return result.data;
}

/** The restarted server is ready, and each project's next task is numbered max + 1. */
async function checkRestarted(url: string, maxNumber: Map<string, number>, round: number) {
  expect((await fetch(`${url}/readyz`)).status).toBe(200);
  for (const projectId of projectIds) {
    const task = await createTask(url, projectId, `after kill ${round} ${projectId}`);
    expect(task.number).toBe((maxNumber.get(projectId) ?? 0) + 1);
    acknowledged.set(task.title, task);
  }
}

/** One round: load, SIGKILL after a random delay, then what the file holds. */
async function killRound(process: MainProcess, url: string, round: number, rng: Random) {
  const load = startLoad({
    url,
    token,
    projectIds,
    clients: CLIENTS,
    random: rng,
    label: `s${seed} k${round}`,
  });
  const killAt = between(rng, 100, 800);
  await new Promise((resolve) => setTimeout(resolve, killAt));
  process.child.kill('SIGKILL');
  await process.exited;
  const seen = await load.done;
  expect(seen.unexpected).toEqual([]);
  for (const task of seen.acknowledged) acknowledged.set(task.title, task);

  const found = inspectAfterCrash(file);
  expect(found.integrity).toBe('ok');
  expect(found.duplicateNumbers).toEqual([]);
  const missing = [...acknowledged.values()].filter((task) => {
    const row = found.tasks.get(task.title);
    return row?.id !== task.id || row.number !== task.number || row.projectId !== task.projectId;
  });
  expect(missing, `acknowledged tasks lost (seed ${seed}, kill ${round})`).toEqual([]);

  totals.kills += 1;
  totals.acknowledged += seen.acknowledged.length;
  totals.inFlight += seen.inFlight.length;
  totals.inFlightPresent += seen.inFlight.filter((task) => found.tasks.has(task.title)).length;
  totals.killAtMs.push(killAt);
  return found.maxNumber;
}

beforeAll(async () => {
  console.log(`crash suite: seed ${seed} (replay with TRELLIS_CRASH_SEED=${seed})`);
  const first = start('normal');
  const url = await first.listening;
  ({ token, projectIds } = await createWorld(url, 'crash', ['ALPHA', 'BETA', 'GAMMA']));
  await first.stop();
}, 60_000);

afterAll(async () => {
  await server?.stop(2000);
  rmSync(dir, { recursive: true, force: true });
  const wall = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `crash suite summary: profile ${profile.name}, seed ${seed}, kills survived ${totals.kills} ` +
      `(${profile.kills} synchronous=normal + ${FULL_KILLS} synchronous=full), ` +
      `creates acknowledged ${totals.acknowledged} (${totals.kills === expectedKills ? 'all present after every kill' : 'RUN FAILED'}), ` +
      `in flight at the kills ${totals.inFlight} (${totals.inFlightPresent} committed, ` +
      `${totals.inFlight - totals.inFlightPresent} not), kill delays ` +
      `${Math.min(...totals.killAtMs)}-${Math.max(...totals.killAtMs)} ms, wall ${wall} s`,
  );
});

describe('kill -9 under load', () => {
  it(`loses no acknowledged task over ${profile.kills} + ${FULL_KILLS} SIGKILLs`, async () => {
    const rounds = profile.kills + FULL_KILLS;
    // The first `profile.kills` rounds run synchronous=normal (the default), the rest full.
    const mode = (round: number) => (round <= profile.kills ? 'normal' : 'full');
    let current = start(mode(1));
    let maxNumber: Map<string, number> | undefined;
    for (let round = 1; round <= rounds; round += 1) {
      const url = await current.listening;
      if (maxNumber) await checkRestarted(url, maxNumber, round - 1);
      maxNumber = await killRound(current, url, round, random);
      current = start(mode(round + 1));
    }
    await checkRestarted(await current.listening, maxNumber ?? new Map(), rounds);
    expect(await current.stop()).toBe(0);
  });

  it('refuses to start with an unknown SQLITE_SYNCHRONOUS (the setting is read)', async () => {
    const bad = startMainProcess({ DATABASE_URL: `file:${file}`, SQLITE_SYNCHRONOUS: 'sometimes' });
    expect(await bad.exited).not.toBe(0);
    expect(bad.output()).toMatch(/SQLITE_SYNCHRONOUS/);
  });
});
