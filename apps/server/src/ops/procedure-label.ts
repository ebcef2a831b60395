import type { FastifyRequest } from 'fastify';

/** The label of requests no route matched (the dashboard's files and pages, 404s). */
export const OTHER_ROUTE = 'other';
/** The label of a tRPC call to a path that names no procedure. */
export const UNKNOWN_PROCEDURE = 'trpc:unknown';

/**
 * Names what a request called, from a bounded set (metric labels must not grow with the
 * URLs clients send): each call of a tRPC batch by its procedure, a REST or other route by
 * its pattern (`/api/v1/tasks/:taskId`), anything else as {@link OTHER_ROUTE}.
 */
export function procedureLabeller(
  trpcRoute: string,
  procedures: ReadonlySet<string>,
  maxBatchSize: number,
): (request: FastifyRequest) => string[] {
  const one = (path: string) => (procedures.has(path) ? path : UNKNOWN_PROCEDURE);
  return (request) => {
    const route = request.routeOptions.url;
    if (route === undefined) return [OTHER_ROUTE];
    if (route !== trpcRoute) return [route];
    const { path } = request.params as { path?: string };
    if (path === undefined) return [UNKNOWN_PROCEDURE];
    if ((request.query as { batch?: unknown }).batch !== '1') return [one(path)];
    const paths = path.split(',');
    // A refused batch ran nothing: one observation, not one per name it listed.
    return paths.length > maxBatchSize ? [UNKNOWN_PROCEDURE] : paths.map(one);
  };
}
