import type { AnyTRPCProcedure, AnyTRPCRouter, TRPCProcedureType } from '@trpc/server';

// tRPC exports no function that lists a router's procedures or tells a path's kind before
// calling it (its adapters use the internal getProcedureAtPath). The router's definition
// is typed, public (TRPCRouterDef) and read here only, once per router: the handler needs
// the kinds to answer a GET to a mutation, or a mixed batch, as tRPC does.

/** The kind of each procedure of `router`, by path (`tasks.get` → `query`). */
export function procedureKinds(router: AnyTRPCRouter): ReadonlyMap<string, TRPCProcedureType> {
  const procedures: Record<string, AnyTRPCProcedure> = router._def.procedures;
  return new Map(Object.entries(procedures).map(([path, { _def }]) => [path, _def.type]));
}

/** Whether `router` has lazy sub-routers, whose procedures exist only once they load. */
export function hasLazyRouters(router: AnyTRPCRouter): boolean {
  return Object.keys(router._def.lazy).length > 0;
}
