import type { JsonSchema } from './procedures.js';

// A query string holds only strings; procedures expect numbers, booleans, arrays and
// nulls. Each parameter is converted by the type the input's JSON Schema gives it (the
// same schema the OpenAPI document publishes), and only when the text is unambiguous: a
// value that does not look like its type stays a string, so the procedure's own zod
// schema answers with a field error, exactly as it does over tRPC.

type Scalar = 'number' | 'boolean' | 'other';

/** How one query parameter is converted. */
interface Conversion {
  scalar: Scalar;
  nullable: boolean;
  /** Repeated keys (`status=a&status=b`) form an array; a single one, an array of one. */
  array: boolean;
  /**
   * One value or a list (`assigneeId`, `label` of tasks.list): a single key stays one
   * value, repeated keys form the list. Undefined when the parameter is not a list.
   */
  items?: { scalar: Scalar; nullable: boolean; orOne: boolean };
}

const NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?$/;

/** The JSON Schema types a schema allows, looking through `anyOf`. */
function typesOf(schema: JsonSchema): string[] {
  const { type, anyOf } = schema;
  if (typeof type === 'string') return [type];
  if (Array.isArray(type)) return type.filter((t): t is string => typeof t === 'string');
  if (Array.isArray(anyOf)) return (anyOf as JsonSchema[]).flatMap(typesOf);
  if ('const' in schema) return [typeof schema.const];
  return [];
}

function scalarOf(types: string[]): Scalar {
  if (types.includes('string')) return 'other';
  if (types.includes('integer') || types.includes('number')) return 'number';
  if (types.includes('boolean')) return 'boolean';
  return 'other';
}

/** The array schema among `schema` and its `anyOf` alternatives, if any. */
function arrayOf(schema: JsonSchema): JsonSchema | undefined {
  if (typesOf(schema).includes('array') && schema.anyOf === undefined) return schema;
  const alternatives = Array.isArray(schema.anyOf) ? (schema.anyOf as JsonSchema[]) : [];
  return alternatives.map(arrayOf).find((found) => found !== undefined);
}

function conversionOf(schema: JsonSchema): Conversion {
  const types = typesOf(schema);
  const nullable = types.includes('null');
  const list = arrayOf(schema);
  if (list) {
    const itemTypes = typesOf((list.items ?? {}) as JsonSchema);
    const scalar = scalarOf(itemTypes);
    // Another alternative than the array: a single value may stand alone.
    const orOne = Array.isArray(schema.anyOf) && schema.anyOf.length > 1;
    const items = { scalar, nullable: itemTypes.includes('null'), orOne };
    return { scalar, nullable, array: true, items };
  }
  return { scalar: scalarOf(types), nullable, array: false };
}

function convert(text: string, scalar: Scalar): unknown {
  if (scalar === 'number' && NUMBER.test(text)) return Number(text);
  if (scalar === 'boolean' && (text === 'true' || text === 'false')) return text === 'true';
  return text;
}

/**
 * The text that stands for null in a nullable parameter (`assigneeId=none`: unassigned
 * tasks). Query-string generators (openapi-fetch, most others) leave a null value out of
 * the URL altogether, so null needs a word of its own; an empty value means null too.
 */
export const NULL_WORD = 'none';

/** A parsed query string: Fastify gives repeated keys as arrays. */
export type QueryString = Record<string, string | string[] | undefined>;

/**
 * Builds the converter of one route's query string from its input's object properties.
 * Unknown parameters pass through untouched, for the strict input schema to refuse. An
 * empty value or `none` of a nullable parameter (or of a list's nullable item) is null
 * (`assigneeId=none` and `assigneeId=` list unassigned tasks; `assigneeId=a&assigneeId=none`
 * tasks assigned to a or to nobody).
 */
export function queryCoercer(properties: Record<string, JsonSchema>) {
  const conversions = new Map(
    Object.entries(properties).map(([name, schema]) => [name, conversionOf(schema)]),
  );
  const converted = (name: string, raw: string | string[]): unknown => {
    const conversion = conversions.get(name);
    if (!conversion) return raw;
    if (conversion.array) {
      const item = (text: string) =>
        conversion.items?.nullable && (text === '' || text === NULL_WORD)
          ? null
          : convert(text, conversion.scalar);
      if (!Array.isArray(raw) && conversion.items?.orOne) return item(raw);
      return (Array.isArray(raw) ? raw : [raw]).map(item);
    }
    // Repeated but not a list: left as is, for the schema to refuse as a field error.
    if (Array.isArray(raw)) return raw;
    if (conversion.nullable && (raw === '' || raw === NULL_WORD)) return null;
    return convert(raw, conversion.scalar);
  };
  // fromEntries defines own properties, so a `__proto__` parameter is just an unknown key.
  return (query: QueryString): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(query).flatMap(([name, raw]) =>
        raw === undefined ? [] : [[name, converted(name, raw)]],
      ),
    );
}
