import type { AnyTRPCRouter, TRPCProcedureType } from '@trpc/server';
import { z } from 'zod';

/** What a procedure declares: its kind and its zod input and output schemas. */
export interface ProcedureSchemas {
  type: TRPCProcedureType;
  /** One per `.input()` call (tRPC merges them at run time); empty when it takes none. */
  inputs: z.ZodType[];
  /** From `.output()`; undefined for subscriptions. */
  output: z.ZodType | undefined;
}

// tRPC keeps a built procedure's parsers on `_def`: `inputs` is typed, `output` exists at
// run time but is not in the built procedure's type, hence this narrow view.
interface ProcedureDef {
  type: TRPCProcedureType;
  inputs: unknown[];
  output?: unknown;
}

function zodOrThrow(path: string, what: string, parser: unknown): z.ZodType {
  if (!(parser instanceof z.ZodType)) throw new Error(`${path}: its ${what} is not a zod schema`);
  return parser;
}

/**
 * Every procedure of `router` by path, with the schemas it validates with: what the REST
 * mapping, `pnpm api:check` and the bench baseline read instead of tRPC's internals.
 * Throws when a parser is not zod, since nothing could describe it.
 */
export function procedureSchemas(router: AnyTRPCRouter): Map<string, ProcedureSchemas> {
  const defs = router._def.procedures as Record<string, { _def: ProcedureDef }>;
  const schemas = new Map<string, ProcedureSchemas>();
  for (const path of Object.keys(defs).sort()) {
    const def = (defs[path] as { _def: ProcedureDef })._def;
    schemas.set(path, {
      type: def.type,
      inputs: def.inputs.map((parser) => zodOrThrow(path, 'input parser', parser)),
      output: def.output === undefined ? undefined : zodOrThrow(path, 'output parser', def.output),
    });
  }
  return schemas;
}
