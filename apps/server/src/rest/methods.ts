import type { RestRoute } from './routes.js';

// A known path asked with a method it does not serve is 405 with `Allow` (RFC 9110
// §15.5.6), not 404: the client has the right resource and the wrong verb.

/** A path template as a matcher of concrete paths below `prefix`. */
export function templateMatcher(path: string, prefix = ''): RegExp {
  const pattern = path
    .split(/\{\w+\}/)
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${prefix}${pattern}$`);
}

/**
 * The methods each known path serves, for the `Allow` header: the routes' own, and HEAD
 * wherever GET is (Fastify answers HEAD for every GET route).
 */
export function allowedMethods(
  routes: readonly Pick<RestRoute, 'method' | 'path'>[],
): (path: string) => string[] | undefined {
  const byTemplate = new Map<string, Set<string>>();
  for (const { method, path } of routes) {
    const methods = byTemplate.get(path) ?? new Set<string>();
    methods.add(method);
    if (method === 'GET') methods.add('HEAD');
    byTemplate.set(path, methods);
  }
  const matchers = [...byTemplate].map(([template, methods]) => ({
    matches: templateMatcher(template),
    allow: [...methods],
  }));
  return (path) => {
    // Several templates can match one path (`/workspaces/{id}` and a literal sibling):
    // a path allows what any of them serves.
    const allow = new Set(
      matchers.filter(({ matches }) => matches.test(path)).flatMap((m) => m.allow),
    );
    if (allow.size === 0) return undefined;
    const order = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'];
    return [...allow].sort((a, b) => order.indexOf(a) - order.indexOf(b));
  };
}
