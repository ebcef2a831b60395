import type { ResolvedRoute } from './procedures.js';

// Which statuses a REST route answers, derived in this one place from what its procedure
// is: who may call it (its guard), query or mutation, rate-limited or not, plus the few
// answers the procedure gives of its own accord (routes.ts `answers`). The OpenAPI
// document lists exactly these, and the server tests check that every status they observe
// is listed (test/support/documented-statuses.ts).

/** An error or cache status a route can answer, besides its success. */
export type RouteStatus = 304 | 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 503;

/** What a route's statuses follow from, beyond the route itself. */
export interface RouteFacts {
  /** The procedure counts attempts against rate limits (RATE_LIMITED_PROCEDURES). */
  rateLimited: boolean;
}

/** The statuses `route` can answer besides its success, in ascending order. */
export function routeStatuses(route: ResolvedRoute, facts: RouteFacts): RouteStatus[] {
  const statuses = new Set<RouteStatus>(route.answers ?? []);
  const read = route.method === 'GET';
  const guarded = route.access !== 'public';
  // Query answers carry an ETag; `If-None-Match` with it is answered 304.
  if (read) statuses.add(304);
  // Invalid input; for writes, also a body that is not JSON.
  if (route.input !== undefined || !read) statuses.add(400);
  if (guarded) {
    // No valid session or token.
    statuses.add(401);
    // A role too weak, a read-only token, or an API token where only people may call.
    statuses.add(403);
  }
  // Mutations refuse cross-origin cookie requests, public ones too.
  if (!read) statuses.add(403);
  // Outside the caller's workspaces every thing is "not found"; so is an unknown id.
  if (route.access === 'workspace' || route.params.length > 0) statuses.add(404);
  if (!read) {
    // A body over the size limit, or not sent as application/json.
    statuses.add(413);
    statuses.add(415);
    // Storage that cannot write; for the procedures that send mail, no mail configured;
    // for those that send webhooks, a server that sends none.
    statuses.add(503);
  }
  if (!read && guarded) {
    // Idempotency-Key: the first request with the key still running (409), or the key
    // sent with another request (422). Public mutations ignore the key.
    statuses.add(409);
    statuses.add(422);
  }
  if (facts.rateLimited) statuses.add(429);
  return [...statuses].sort((a, b) => a - b);
}
