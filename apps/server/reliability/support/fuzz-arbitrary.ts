import fc from 'fast-check';
import type { z } from 'zod';

// zod 4 schema → fast-check arbitrary of "valid-ish" inputs: values of the declared shape
// and bounds, read off `schema._zod.def`. Refinements (`.refine`) and transforms cannot be
// inverted, so some generated values still fail validation: that is welcome here.

/**
 * Real values by input field name (`workspaceId` → ids from both workspaces,
 * `expectedVersion` → versions tasks have), so that inputs reach real rows.
 */
export type IdPool = Readonly<Record<string, readonly unknown[]>>;

// The slice of zod 4's internal definitions this walker reads. zod keeps them on
// `schema._zod.def`; they are stable within a major version and typed loosely here on purpose.
interface CheckDef {
  check: string;
  minimum?: number;
  maximum?: number;
  length?: number;
  value?: number | bigint;
  inclusive?: boolean;
  format?: string;
  pattern?: RegExp;
}

interface Def {
  type: string;
  checks?: { _zod: { def: CheckDef } }[];
  format?: string;
  pattern?: RegExp;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  innerType?: z.ZodType;
  element?: z.ZodType;
  in?: z.ZodType;
  options?: z.ZodType[];
  entries?: Record<string, string | number>;
  values?: unknown[];
  keyType?: z.ZodType;
  valueType?: z.ZodType;
  items?: z.ZodType[];
}

function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

/** The bounds and format a string or number schema declares through its checks. */
interface Bounds {
  min?: number;
  max?: number;
  minExclusive: boolean;
  maxExclusive: boolean;
  integer: boolean;
  format?: string;
  pattern?: RegExp;
}

function boundsOf(def: Def): Bounds {
  const bounds: Bounds = {
    minExclusive: false,
    maxExclusive: false,
    integer: false,
    format: def.format,
    pattern: def.pattern,
  };
  for (const check of def.checks ?? []) {
    const c = check._zod.def;
    switch (c.check) {
      case 'min_length':
        bounds.min = c.minimum;
        break;
      case 'max_length':
        bounds.max = c.maximum;
        break;
      case 'length_equals':
        bounds.min = c.length;
        bounds.max = c.length;
        break;
      case 'greater_than':
        bounds.min = Number(c.value);
        bounds.minExclusive = c.inclusive === false;
        break;
      case 'less_than':
        bounds.max = Number(c.value);
        bounds.maxExclusive = c.inclusive === false;
        break;
      case 'number_format':
        bounds.integer = c.format === 'safeint' || c.format?.startsWith('int') === true;
        break;
      case 'string_format':
        bounds.format = c.format;
        bounds.pattern = c.pattern ?? bounds.pattern;
        break;
      default:
        // custom (refine), overwrite (trim): nothing to generate from.
        break;
    }
  }
  return bounds;
}

/** Text a person might type, with a share of the awkward characters real input carries. */
const someText = (minLength: number, maxLength: number) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme-ascii' }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }) },
    { weight: 1, arbitrary: fc.string({ minLength, maxLength, unit: 'binary' }) },
  );

const label = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);

function stringArbitrary(bounds: Bounds): fc.Arbitrary<string> {
  const min = bounds.min ?? 0;
  // Long strings stay possible (up to the bound) but the bulk is short, as real input is.
  const max = Math.min(bounds.max ?? 300, 20_000);
  const fitting = (value: string) => value.length >= min && value.length <= max;
  switch (bounds.format) {
    case 'email':
      return fc
        .tuple(label, label, fc.constantFrom('com', 'org', 'example'))
        .map(([user, host, tld]) => `${user}@${host}.${tld}`)
        .filter(fitting);
    case 'datetime':
      return fc
        .date({ min: new Date('1970-01-01'), max: new Date('2200-01-01'), noInvalidDate: true })
        .map((date) => date.toISOString());
    case 'regex':
      if (!bounds.pattern) throw new Error('a regex string format without its pattern');
      return fc.stringMatching(bounds.pattern).filter(fitting);
    case undefined:
      // Lengths count graphemes, zod counts UTF-16 units: the filter settles the difference.
      return fc
        .oneof(
          { weight: 4, arbitrary: someText(min, Math.min(max, Math.max(min, 40))) },
          { weight: 1, arbitrary: someText(min, max) },
        )
        .filter(fitting);
    default:
      throw new Error(`no generator for the string format "${bounds.format}"`);
  }
}

function numberArbitrary(bounds: Bounds): fc.Arbitrary<number> {
  if (bounds.integer) {
    const min =
      Math.max(bounds.min ?? -1e6, Number.MIN_SAFE_INTEGER) + (bounds.minExclusive ? 1 : 0);
    const max =
      Math.min(bounds.max ?? 1e6, Number.MAX_SAFE_INTEGER) - (bounds.maxExclusive ? 1 : 0);
    return fc.oneof(
      fc.integer({ min, max: Math.min(max, min + 1000) }),
      fc.integer({ min, max }),
      fc.constantFrom(min, max),
    );
  }
  return fc.double({
    min: bounds.min ?? -1e9,
    max: bounds.max ?? 1e9,
    minExcluded: bounds.minExclusive,
    maxExcluded: bounds.maxExclusive,
    noNaN: true,
    noDefaultInfinity: true,
  });
}

/** An object key's value is optional when its schema accepts `undefined` (optional, default). */
function isOptionalKey(schema: z.ZodType): boolean {
  const { type } = defOf(schema);
  return type === 'optional' || type === 'default' || type === 'prefault';
}

/**
 * Valid-ish values for `schema`. A field whose name is in `ids` usually gets one of those
 * real ids, so that inputs reach the rows (the caller's own and another workspace's).
 * Throws on a zod type it does not know, so that a new kind of schema is noticed, not skipped.
 */
export function arbitraryFor(schema: z.ZodType, ids: IdPool = {}): fc.Arbitrary<unknown> {
  const def = defOf(schema);
  switch (def.type) {
    case 'string':
      return stringArbitrary(boundsOf(def));
    case 'number':
      return numberArbitrary(boundsOf(def));
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'enum':
      return fc.constantFrom(...Object.values(def.entries ?? {}));
    case 'literal':
      return fc.constantFrom(...(def.values ?? []));
    case 'unknown':
    case 'any':
      return fc.jsonValue({ maxDepth: 3 });
    case 'optional':
    case 'default':
    case 'prefault':
    case 'readonly':
    case 'catch':
    case 'nonoptional':
      return arbitraryFor(required(def.innerType, def.type), ids);
    case 'nullable':
      return fc.option(arbitraryFor(required(def.innerType, def.type), ids), {
        nil: null,
        freq: 4,
      });
    case 'pipe':
      return arbitraryFor(required(def.in, def.type), ids);
    case 'array': {
      const bounds = boundsOf(def);
      return fc.array(arbitraryFor(required(def.element, def.type), ids), {
        minLength: bounds.min ?? 0,
        maxLength: Math.min(bounds.max ?? 10, 50),
      });
    }
    case 'tuple':
      return fc.tuple(...(def.items ?? []).map((item) => arbitraryFor(item, ids)));
    case 'union':
      return fc.oneof(...(def.options ?? []).map((option) => arbitraryFor(option, ids)));
    case 'record':
      return fc.dictionary(
        arbitraryFor(required(def.keyType, def.type), ids) as fc.Arbitrary<string>,
        arbitraryFor(required(def.valueType, def.type), ids),
        { maxKeys: 5 },
      );
    case 'object':
      return objectArbitrary(def, ids);
    default:
      throw new Error(`no generator for the zod type "${def.type}"`);
  }
}

function required(schema: z.ZodType | undefined, type: string): z.ZodType {
  if (!schema) throw new Error(`a zod ${type} without its inner schema`);
  return schema;
}

/** Marks an optional key left out of a generated object. */
const ABSENT = Symbol('absent');

function objectArbitrary(def: Def, ids: IdPool): fc.Arbitrary<Record<string, unknown>> {
  const shape = def.shape ?? {};
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [key, value] of Object.entries(shape)) {
    const generated = arbitraryFor(value, ids);
    const real = ids[key];
    const field =
      real && real.length > 0
        ? fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...real) },
            { weight: 1, arbitrary: generated },
          )
        : generated;
    // Optional keys are left out two times in three: each one present is another chance
    // for the whole input to be refused before the handler runs.
    fields[key] = isOptionalKey(value)
      ? fc.oneof({ weight: 2, arbitrary: fc.constant(ABSENT) }, { weight: 1, arbitrary: field })
      : field;
  }
  return fc
    .record(fields)
    .map((record) =>
      Object.fromEntries(Object.entries(record).filter(([, value]) => value !== ABSENT)),
    );
}

/**
 * The valid-ish input of a procedure: tRPC merges the parsers of chained `.input()` calls,
 * so the objects generated for each are merged too; none means it takes no input.
 */
export function procedureInputArbitrary(
  inputs: readonly z.ZodType[],
  ids: IdPool = {},
): fc.Arbitrary<unknown> {
  if (inputs.length === 0) return fc.constantFrom(undefined, {});
  const parts = inputs.map((input) => arbitraryFor(input, ids));
  if (parts.length === 1) return parts[0] as fc.Arbitrary<unknown>;
  return fc
    .tuple(...parts)
    .map((values) =>
      Object.assign({}, ...values.map((value) => (typeof value === 'object' ? value : {}))),
    );
}
