import type { AnyTRPCRouter, TRPCProcedureType } from '@trpc/server';
import { z } from 'zod';
import { type DeclaredSchemas, declaredSchemas } from './procedure-builder.js';

/** What a procedure declares: its kind and its zod input and output schemas. */
export interface ProcedureSchemas {
  type: TRPCProcedureType;
  /** One per `.input()` call (merged at run time); empty when it takes none. */
  inputs: z.ZodType[];
  /** From `.output()`; undefined for subscriptions. */
  output: z.ZodType | undefined;
}

// trpc.ts's builders keep what each procedure declared (procedure-builder.ts); a procedure
// built with tRPC's own builder (tests, tools) keeps its parsers on `_def`: `inputs` is
// typed, `output` exists at run time but is not in the built procedure's type, hence this
// narrow view.
interface ProcedureDef {
  type: TRPCProcedureType;
  inputs: unknown[];
  output?: unknown;
}

/** The parsers tRPC's own builder kept, which must be zod schemas. */
function parsersOf(path: string, def: ProcedureDef): DeclaredSchemas {
  return {
    inputs: def.inputs.map((parser) => zodOrThrow(path, 'input parser', parser)),
    output: def.output === undefined ? undefined : zodOrThrow(path, 'output parser', def.output),
  };
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
    const procedure = defs[path] as { _def: ProcedureDef };
    const { inputs, output } = declaredSchemas(procedure) ?? parsersOf(path, procedure._def);
    schemas.set(path, { type: procedure._def.type, inputs: [...inputs], output });
  }
  return schemas;
}
