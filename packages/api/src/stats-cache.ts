import type { Database, Kysely } from '@trellis/db';
import { type StatsOverview, statsSnapshot, utcDay, workspaceVersion } from './queries/stats.js';

/** How much a cache may hold. */
export interface CacheLimits {
  /** Entries at most (one per workspace). */
  maxEntries: number;
  /** Approximate bytes at most (the answers' JSON length). */
  maxBytes: number;
}

/** What a cache has done so far, for /metrics. */
export interface CacheCounts {
  hits: number;
  misses: number;
  evictions: number;
  entries: number;
  bytes: number;
}

interface Entry {
  overview: StatsOverview;
  version: number;
  /** The UTC day it was computed on: the per-day series move at midnight. */
  day: string;
  /** Epoch ms at which time alone changes it (an open task falls due), or Infinity. */
  changesAt: number;
  bytes: number;
}

export const DEFAULT_STATS_CACHE_LIMITS: CacheLimits = { maxEntries: 1000, maxBytes: 16 << 20 };

/**
 * `stats.overview` answers kept per workspace, in this process, and served only while
 * nothing they depend on has moved: the workspace's data version (read from the database on
 * every call, so a write in any process is seen at once), the UTC day, and the next due date
 * of an open task. A changed workspace costs one extra indexed read; an unchanged one
 * costs that read instead of the aggregates.
 */
export class StatsCache {
  readonly #entries = new Map<string, Entry>();
  readonly #counts: CacheCounts = { hits: 0, misses: 0, evictions: 0, entries: 0, bytes: 0 };

  constructor(private readonly limits: CacheLimits = DEFAULT_STATS_CACHE_LIMITS) {}

  async overview(db: Kysely<Database>, workspaceId: string, now: Date): Promise<StatsOverview> {
    const kept = this.#entries.get(workspaceId);
    if (kept !== undefined && kept.day === utcDay(now, 0) && now.getTime() < kept.changesAt) {
      if ((await workspaceVersion(db, workspaceId)) === kept.version) {
        // Most recently used last: eviction takes the first.
        this.#entries.delete(workspaceId);
        this.#entries.set(workspaceId, kept);
        this.#counts.hits += 1;
        return kept.overview;
      }
    }
    this.#counts.misses += 1;
    const snapshot = await statsSnapshot(db, workspaceId, now);
    this.#store(workspaceId, {
      overview: snapshot.overview,
      version: snapshot.version,
      day: utcDay(now, 0),
      changesAt: snapshot.changesAt === null ? Infinity : Date.parse(snapshot.changesAt),
      bytes: JSON.stringify(snapshot.overview).length,
    });
    return snapshot.overview;
  }

  counts(): CacheCounts {
    return { ...this.#counts };
  }

  #store(workspaceId: string, entry: Entry): void {
    this.#drop(workspaceId);
    if (entry.bytes > this.limits.maxBytes) return;
    this.#entries.set(workspaceId, entry);
    this.#counts.entries += 1;
    this.#counts.bytes += entry.bytes;
    while (
      this.#counts.entries > this.limits.maxEntries ||
      this.#counts.bytes > this.limits.maxBytes
    ) {
      const oldest = this.#entries.keys().next().value as string;
      this.#drop(oldest);
      this.#counts.evictions += 1;
    }
  }

  #drop(workspaceId: string): void {
    const entry = this.#entries.get(workspaceId);
    if (entry === undefined) return;
    this.#entries.delete(workspaceId);
    this.#counts.entries -= 1;
    this.#counts.bytes -= entry.bytes;
  }
}
