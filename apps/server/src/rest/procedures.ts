import { procedureSchemas } from '@trellis/api';
import type { AnyTRPCRouter, TRPCProcedureType } from '@trpc/server';
import { z } from 'zod';
import { pathParams, type RestRoute } from './routes.js';

/** A JSON Schema (2020-12) object as zod writes it. */
export type JsonSchema = Record<string, unknown>;

/** A route with what its procedure declares: kind, input and output schemas. */
export interface ResolvedRoute extends RestRoute {
  type: Exclude<TRPCProcedureType, 'subscription'>;
  /** Names of the path parameters, in template order. */
  params: string[];
  /** The procedure's input schema, or undefined when it takes none. */
  input: z.ZodType | undefined;
  output: z.ZodType;
}

/**
 * Looks up every route's procedure, failing at startup (not on the first request) when a
 * route names a procedure that does not exist, is a subscription, or lacks zod schemas.
 */
export function resolveRoutes(
  router: AnyTRPCRouter,
  routes: readonly RestRoute[],
): ResolvedRoute[] {
  const procedures = procedureSchemas(router);
  return routes.map((route) => {
    const def = procedures.get(route.procedure);
    if (!def || def.type === 'subscription') {
      throw new Error(`REST route ${route.path}: no query or mutation ${route.procedure}`);
    }
    const [input, ...more] = def.inputs;
    if (more.length > 0) {
      throw new Error(`REST route ${route.path}: ${route.procedure} needs one zod input schema`);
    }
    if (def.output === undefined) {
      throw new Error(`REST route ${route.path}: ${route.procedure} has no zod output schema`);
    }
    const expectsGet = def.type === 'query';
    if (expectsGet !== (route.method === 'GET')) {
      throw new Error(`REST route ${route.path}: a ${def.type} is served by ${route.method}`);
    }
    return { ...route, type: def.type, params: pathParams(route.path), input, output: def.output };
  });
}

/** The input's JSON Schema as a client sends it (before defaults and transforms). */
export function inputJsonSchema(
  route: ResolvedRoute,
  metadata?: z.core.JSONSchemaGeneratorParams['metadata'],
): JsonSchema {
  if (!route.input) return { type: 'object', properties: {} };
  return z.toJSONSchema(route.input, {
    io: 'input',
    ...(metadata ? { metadata } : {}),
  }) as JsonSchema;
}

/** The JSON Schema of `properties` of an object schema, or an empty record. */
export function propertiesOf(schema: JsonSchema): Record<string, JsonSchema> {
  const properties = schema.properties;
  return typeof properties === 'object' && properties !== null
    ? (properties as Record<string, JsonSchema>)
    : {};
}

/** The `required` list of an object schema. */
export function requiredOf(schema: JsonSchema): string[] {
  return Array.isArray(schema.required) ? (schema.required as string[]) : [];
}
