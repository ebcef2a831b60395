import type { AnyTRPCRouter } from '@trpc/server';
import { z } from 'zod';
import { procedureSchemas } from '../procedure-schemas.js';
import {
  type ApiSurface,
  asArray,
  asObject,
  type JsonSchema,
  type JsonValue,
  type ProcedureSurface,
  sortKeys,
} from './surface.js';

/** The public surface of `router`: every procedure's kind, input and output schemas. */
export function extractSurface(router: AnyTRPCRouter): ApiSurface {
  const procedures: Record<string, ProcedureSurface> = {};
  for (const [path, { type, inputs, output }] of procedureSchemas(router)) {
    const surface: ProcedureSurface = { type };
    if (inputs.length > 0) surface.input = mergeInputs(path, inputs);
    if (output !== undefined) surface.output = schemaOf(path, 'output', output);
    procedures[path] = surface;
  }
  return { procedures };
}

/** Several `.input()` objects reach the resolver merged: one object with all their fields. */
function mergeInputs(path: string, parsers: z.ZodType[]): JsonSchema {
  const schemas = parsers.map((parser) => schemaOf(path, 'input', parser));
  if (schemas.length === 1) return schemas[0] as JsonSchema;
  if (!schemas.every((schema) => schema.type === 'object')) return { allOf: schemas };
  const properties: { [name: string]: JsonValue } = {};
  const required = new Set<string>();
  for (const schema of schemas) {
    for (const [name, property] of Object.entries(asObject(schema.properties))) {
      const earlier = properties[name];
      properties[name] = earlier === undefined ? property : { allOf: [earlier, property] };
    }
    for (const name of asArray(schema.required)) required.add(String(name));
  }
  const merged: JsonSchema = { type: 'object', properties, required: [...required] };
  if (schemas.some((schema) => schema.additionalProperties === false)) {
    merged.additionalProperties = false;
  }
  // Sorted like every schema here, so that reordering `.input()` calls is no change.
  return sortKeys(merged) as JsonSchema;
}

/**
 * A parser's JSON Schema as clients see it: inputs as sent (fields with defaults are
 * optional), outputs as received. Types JSON Schema cannot express (dates, transforms'
 * results) become `{}` instead of failing, so the surface stays complete.
 */
function schemaOf(path: string, io: 'input' | 'output', parser: z.ZodType): JsonSchema {
  let schema: JsonSchema;
  try {
    schema = z.toJSONSchema(parser, { io, unrepresentable: 'any' }) as JsonSchema;
  } catch (cause) {
    throw new Error(`${path}: cannot describe its ${io} as JSON Schema`, { cause });
  }
  const { $schema: _, ...rest } = schema;
  return sortKeys(rest) as JsonSchema;
}
