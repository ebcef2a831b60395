// Workspace export and import over HTTP: the export download, the import upload, polling an
// import job until it ends, and the normaliser that compares two exports with ids aside.
import type { RouterOutputs } from '@trellis/client';
import { expect } from 'vitest';
import type { Transport } from './http.js';
import { dataOf, isRecord, type Reply } from './wire.js';

/** An import job as imports.get answers it. */
export type ImportJob = RouterOutputs['imports']['get'];

/** GET /api/v1/workspaces/{id}/export. */
export function downloadExport(wire: Transport, workspaceId: string, token: string) {
  return wire.send(`/api/v1/workspaces/${workspaceId}/export`, {
    headers: { authorization: `Bearer ${token}` },
  });
}

/** POST /api/v1/workspaces/import with `body` (the export document). */
export function uploadImport(
  wire: Transport,
  token: string,
  body: string | Buffer,
  query = '',
  headers: Record<string, string> = {},
) {
  return wire.send(`/api/v1/workspaces/import${query}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body,
  });
}

/** The job of a 202 answer. */
export function acceptedJob(reply: Reply): ImportJob {
  expect(reply.status, reply.text.slice(0, 500)).toBe(202);
  const job = reply.json as ImportJob;
  expect(reply.headers.get('location')).toBe(`/api/v1/imports/${job.id}`);
  return job;
}

/**
 * Polls imports.get until the job has ended; every answer seen goes to `seen` (in order).
 * Reads are paced by the server's answers, with a short pause so a poll loop does not take
 * the cores the job needs.
 */
export async function waitForJob(
  wire: Transport,
  token: string,
  jobId: string,
  seen: ImportJob[] = [],
): Promise<ImportJob> {
  for (;;) {
    const job = dataOf<ImportJob>(
      await wire.send(`/trpc/imports.get?input=${encodeURIComponent(JSON.stringify({ jobId }))}`, {
        headers: { authorization: `Bearer ${token}` },
      }),
    );
    seen.push(job);
    if (job.status === 'succeeded' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const isIdKey = (key: string) => key === 'id' || key === 'createdBy' || /Id$/.test(key);

/**
 * An export document with its ids replaced by ordinals in order of first appearance (an id
 * being any value of an `id`, `…Id` or `createdBy` key, wherever else it appears, activity
 * data included) and without `exportedAt`: two exports of the same content compare equal.
 */
export function normaliseExport(document: unknown): unknown {
  const ids = new Set<string>();
  const collect = (value: unknown, key?: string): void => {
    if (typeof value === 'string' && key !== undefined && isIdKey(key)) ids.add(value);
    else if (Array.isArray(value)) for (const item of value) collect(item, key);
    else if (isRecord(value)) for (const [k, v] of Object.entries(value)) collect(v, k);
  };
  collect(document);
  const ordinals = new Map<string, string>();
  const replace = (value: unknown): unknown => {
    if (typeof value === 'string' && ids.has(value)) {
      let ordinal = ordinals.get(value);
      if (ordinal === undefined) {
        ordinal = `#${ordinals.size + 1}`;
        ordinals.set(value, ordinal);
      }
      return ordinal;
    }
    if (Array.isArray(value)) return value.map(replace);
    if (isRecord(value)) {
      return Object.fromEntries(
        Object.entries(value)
          .filter(([k]) => k !== 'exportedAt')
          .map(([k, v]) => [k, replace(v)]),
      );
    }
    return value;
  };
  return replace(document);
}
