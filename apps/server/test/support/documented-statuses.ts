// "The OpenAPI document lists every status the tests observe": each answer a test file's
// helpers recorded is matched to the operation it belongs to in the document its own
// server serves, and a status the operation does not list fails the file. REST requests
// (`/api/v1/...`) match by method and path template; a tRPC call (`/trpc/<procedure>`) is
// the same procedure, so its status must be listed on that procedure's operation (any 2xx
// standing for the operation's success). What belongs to no operation is left out: other
// routes, unknown paths and procedures, batches, and tRPC's own answers to a query sent as
// POST or a mutation as GET.
import { templateMatcher } from '../../src/rest/methods.js';

/** One answer a test saw. */
export interface ObservedAnswer {
  /** How the helpers name the request: `METHOD /path?query`, maybe with a suffix. */
  request: string;
  status: number;
}

interface Operation {
  operationId: string;
  responses: Record<string, unknown>;
}

/** The parts of the document read here. */
export interface DocumentPaths {
  paths: Record<string, Record<string, unknown> & { servers?: { url: string }[] }>;
}

const METHODS = ['get', 'post', 'patch', 'delete'] as const;

interface Located {
  method: string;
  operation: Operation;
}

function operationsOf(document: DocumentPaths) {
  const rest: { matches: RegExp; template: string; byMethod: Map<string, Operation> }[] = [];
  const byProcedure = new Map<string, Located>();
  for (const [template, item] of Object.entries(document.paths)) {
    const byMethod = new Map<string, Operation>();
    for (const method of METHODS) {
      const operation = item[method] as Operation | undefined;
      if (!operation) continue;
      byMethod.set(method.toUpperCase(), operation);
      byProcedure.set(operation.operationId, { method: method.toUpperCase(), operation });
    }
    if (item.servers === undefined) {
      rest.push({ matches: templateMatcher(template, '/api/v1'), template, byMethod });
    }
  }
  return { rest, byProcedure };
}

const listed = (operation: Operation, status: number, anySuccess: boolean) => {
  const statuses = Object.keys(operation.responses);
  if (statuses.includes(String(status))) return true;
  return anySuccess && status >= 200 && status < 300 && statuses.some((s) => /^2\d\d$/.test(s));
};

/** Each observed answer the document does not list, described for the failure message. */
export function undocumentedAnswers(
  document: DocumentPaths,
  answers: readonly ObservedAnswer[],
): string[] {
  const { rest, byProcedure } = operationsOf(document);
  const problems = new Set<string>();
  for (const { request, status } of answers) {
    const match = /^([A-Z]+) (\/\S*)/.exec(request);
    if (!match) continue;
    const [, method = '', target = ''] = match;
    const url = new URL(target, 'http://localhost');
    const path = url.pathname;
    if (path.startsWith('/api/v1/')) {
      const route = rest.find(({ matches }) => matches.test(path));
      if (!route) continue;
      const operation = route.byMethod.get(method === 'HEAD' ? 'GET' : method);
      if (operation && !listed(operation, status, false)) {
        problems.add(`${method} ${route.template} (${operation.operationId}) answered ${status}`);
      }
      // Another method on a known path: 405, which every path item describes.
      if (!operation && status !== 405) {
        problems.add(`${method} ${route.template} answered ${status}, not 405`);
      }
      continue;
    }
    if (!path.startsWith('/trpc/') || url.searchParams.has('batch')) continue;
    const procedure = decodeURIComponent(path.slice('/trpc/'.length));
    const located = byProcedure.get(procedure);
    if (!located) continue;
    // tRPC reads queries (and subscriptions) from GET, mutations from POST; it answers any
    // other method itself (405), the same for every procedure.
    if (method !== (located.method === 'GET' ? 'GET' : 'POST')) continue;
    if (!listed(located.operation, status, true)) {
      problems.add(`${method} /trpc/${procedure} answered ${status}`);
    }
  }
  return [...problems].sort();
}
