import fc from 'fast-check';

// Hostile inputs: values no schema asks for, mutations of valid-ish inputs, and request
// bodies that are not even JSON. Everything here must be answered with a 4xx, never a 500.

/** Bigger than any string field allows, but well under the 1 MiB body limit. */
export const HUGE_STRING_LENGTH = 100 * 1024;
/** Nesting depth of the deepest JSON sent. */
export const DEEP_NESTING = 10_000;

/** Strings that break naive handling: lone surrogates, RTL override, zero-width, NUL … */
export const UNICODE_EDGES: readonly string[] = [
  '\uD800',
  'a\uDC00b',
  '\uDBFF\uDFFF',
  '\u202Eevil\u202C',
  '\u200B',
  '\u200D\u200D',
  '\uFEFF',
  '\u0000',
  'a\u0000b',
  'e\u0301\u0301\u0301',
  '👩‍👩‍👧‍👦',
  '😀'.repeat(64),
  '\u0085\u2028\u2029',
  '\\u0000',
  "'; DROP TABLE tasks; --",
  '%00',
  '../../etc/passwd',
  '{{7*7}}',
  '𝕋𝕣𝕖𝕝𝕝𝕚𝕤',
  'İı',
  'ß'.repeat(100),
];

/** Numbers at and beyond the edges (JSON turns NaN and ±Infinity into null). */
export const NUMBER_EDGES: readonly number[] = [
  Number.NaN,
  -0,
  1e308,
  -1e308,
  Number.MAX_SAFE_INTEGER + 2,
  Number.MIN_SAFE_INTEGER - 2,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  Number.MIN_VALUE,
  0.5,
  -1,
  2 ** 31,
  2 ** 63,
];

/** Keys that pollute prototypes when an object is merged naively. */
export const POLLUTING_KEYS: readonly string[] = ['__proto__', 'constructor', 'prototype'];

/** A value nested `depth` levels deep, as arrays or objects. */
export function deeplyNested(depth: number, kind: 'array' | 'object'): unknown {
  let value: unknown = 'bottom';
  for (let level = 0; level < depth; level += 1) value = kind === 'array' ? [value] : { a: value };
  return value;
}

/** An object whose own key is literally `key` (`{ __proto__: … }` would set the prototype). */
export function withOwnKey(base: object, key: string, value: unknown): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...base };
  Object.defineProperty(copy, key, { value, enumerable: true, writable: true, configurable: true });
  return copy;
}

const pollution = fc.constantFrom<unknown>(
  JSON.parse('{"__proto__":{"polluted":"yes"}}'),
  { constructor: { prototype: { polluted: 'yes' } } },
  { prototype: { polluted: 'yes' } },
);

/** A value of the wrong kind, size or encoding for any field. */
export function hostileValue(hugeStrings: boolean): fc.Arbitrary<unknown> {
  const values: fc.Arbitrary<unknown>[] = [
    fc.constantFrom<unknown>(null, true, false, 0, '', [], {}, '0', 'null', 'true', [null]),
    fc.constantFrom(...NUMBER_EDGES),
    fc.constantFrom(...UNICODE_EDGES),
    fc.string({ unit: 'binary', maxLength: 300 }),
    fc.jsonValue({ maxDepth: 4 }),
    pollution,
    fc.constantFrom(100, 1000).map((depth) => deeplyNested(depth, 'array')),
  ];
  if (hugeStrings) {
    values.push(
      fc
        .constantFrom('a', 'é', '😀', '\u0000', '\uD800')
        .map((unit) => unit.repeat(Math.ceil(HUGE_STRING_LENGTH / unit.length))),
    );
  } else {
    // Queries travel in the URL: long, but under Node's 16 KiB header limit.
    values.push(fc.constantFrom('a', '😀').map((unit) => unit.repeat(2000)));
  }
  return fc.oneof(...values);
}

/** One way to damage a valid-ish input. */
export type Mutation =
  | { kind: 'replace-field'; pick: number; value: unknown }
  | { kind: 'drop-field'; pick: number }
  | { kind: 'extra-key'; key: string; value: unknown }
  | { kind: 'replace-whole'; value: unknown }
  | { kind: 'wrap'; as: 'array' | 'object' };

/** Mutations, with huge (≥ 100 KB) strings among the values only when `hugeStrings`. */
export function mutationArbitrary(hugeStrings: boolean): fc.Arbitrary<Mutation> {
  const value = hostileValue(hugeStrings);
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({ kind: fc.constant('replace-field' as const), pick: fc.nat(), value }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('drop-field' as const), pick: fc.nat() }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        kind: fc.constant('extra-key' as const),
        key: fc.oneof(
          fc.constantFrom(...POLLUTING_KEYS),
          fc.string({ minLength: 1, maxLength: 20 }),
        ),
        value,
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace-whole' as const), value }) },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('wrap' as const),
        as: fc.constantFrom('array' as const, 'object' as const),
      }),
    },
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Applies `mutation` to a valid-ish input (one level down into nested objects too). */
export function mutate(input: unknown, mutation: Mutation): unknown {
  switch (mutation.kind) {
    case 'replace-whole':
      return mutation.value;
    case 'wrap':
      return mutation.as === 'array' ? [input] : { input };
    case 'extra-key':
      return withOwnKey(isPlainObject(input) ? input : {}, mutation.key, mutation.value);
    case 'replace-field':
    case 'drop-field': {
      if (!isPlainObject(input)) return mutation.kind === 'replace-field' ? mutation.value : input;
      const keys = Object.keys(input);
      if (keys.length === 0) return input;
      const key = keys[mutation.pick % keys.length] as string;
      const copy: Record<string, unknown> = { ...input };
      const nested = copy[key];
      // Half the time the damage goes one level down (tasks.update's `patch`).
      if (isPlainObject(nested) && mutation.pick % 2 === 1) {
        copy[key] = mutate(nested, { ...mutation, pick: Math.floor(mutation.pick / 2) });
      } else if (mutation.kind === 'drop-field') {
        delete copy[key];
      } else {
        copy[key] = mutation.value;
      }
      return copy;
    }
  }
}

/**
 * Text that JSON.stringify cannot produce: NaN and Infinity literals, numbers beyond
 * double range, broken or truncated JSON, duplicate keys, a 10,000-level nesting.
 */
export function rawJsonTexts(validish: string): string[] {
  return [
    '{"workspaceId":NaN}',
    '{"n":NaN}',
    '1e400',
    '{"workspaceId":1e400,"limit":-1e400}',
    '{"limit":Infinity}',
    '{',
    '{"a":',
    '}{',
    'undefined',
    "{'single':'quotes'}",
    '{"a":1,"a":2}',
    `{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}`,
    `\uFEFF${validish}`,
    `${validish}${validish}`,
    `${validish}garbage`,
    validish.slice(0, Math.max(1, validish.length - 1)),
    '"\\ud800"',
    '"\\u0000"',
    '[]',
    '""',
    `${'['.repeat(DEEP_NESTING)}${']'.repeat(DEEP_NESTING)}`,
    `${'{"a":'.repeat(DEEP_NESTING)}1${'}'.repeat(DEEP_NESTING)}`,
  ];
}

/** Bytes that are not UTF-8 at all, to send as a JSON body. */
export const INVALID_UTF8_BODIES: readonly Uint8Array[] = [
  Uint8Array.from([0xff, 0xfe, 0xfd]),
  Uint8Array.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0x22, 0x7d]), // {"a":"\xC3("}
  Uint8Array.from([0x7b, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x3a, 0x31, 0x7d]), // CESU surrogate key
];
