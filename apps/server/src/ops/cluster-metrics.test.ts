import { request as httpRequest } from 'node:http';
import { createTestDatabase, type TestDatabase } from '@trellis/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type MainProcess, startMainProcess } from '../test/main-process.js';

// WORKERS=2 behind one port: whichever worker a scrape reaches, it shows both workers'
// counts added up.

let database: TestDatabase;
let server: MainProcess;
let url: string;

beforeAll(async () => {
  database = await createTestDatabase();
  server = startMainProcess({ DATABASE_URL: database.url, WORKERS: '2' });
  url = await server.listening;
  while ((server.output().match(/Server listening/g)?.length ?? 0) < 2) {
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}, 60_000);

afterAll(async () => {
  expect(await server?.stop()).toBe(0);
  await database?.destroy();
});

/** GET on a connection of its own (the cluster hands new connections out in turn). */
function get(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest(`${url}${path}`, { agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        body += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

describe('/metrics with WORKERS=2', () => {
  it('adds up every worker, whichever worker answers the scrape', async () => {
    // Requests from both workers (pids in the log say who served what).
    for (let i = 0; i < 10; i += 1) expect((await get('/healthz')).status).toBe(200);
    const servedBy = new Set(
      [...server.output().matchAll(/"pid":(\d+)[^\n]*"procedure":"\/healthz"/g)].map((m) => m[1]),
    );
    expect(servedBy.size).toBe(2);

    // Several scrapes, on new connections: both workers answer some of them.
    const scrapes = await Promise.all([1, 2, 3, 4].map(() => get('/metrics')));

    for (const { status, body } of scrapes) {
      expect(status).toBe(200);
      expect(body).toMatch(
        /^trellis_requests_total\{procedure="\/healthz",method="GET",status="200"\} 10$/m,
      );
      expect(body).toMatch(/^process_resident_memory_bytes \d+$/m);
    }
  });
});
