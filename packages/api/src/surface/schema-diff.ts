import { asArray, asObject, type JsonSchema, type JsonValue } from './surface.js';

// A structural diff of two JSON Schemas as zod emits them, describing each difference by
// what it does to the set of values the schema accepts. Whether that breaks clients
// depends on the side (see compare.ts): a narrower input refuses what clients send, a
// wider output hands them what they do not expect.

/**
 * What a difference does: `widened`/`narrowed` the accepted values, `changed` them both
 * ways, or `added`/`removed` an object field (their own rules: see `diffProperties`).
 */
export type Effect = 'widened' | 'narrowed' | 'changed' | 'added' | 'removed';

/** Which way values flow: clients send inputs and receive outputs. */
export type Side = 'input' | 'output';

/** One difference at `location` (`input.labels[]`). */
export interface SchemaDifference {
  location: string;
  detail: string;
  effect: Effect;
}

interface Diff {
  side: Side;
  roots: [JsonSchema, JsonSchema];
  seenRefs: Set<string>;
  found: SchemaDifference[];
}

/** The differences from `before` to `after`, both schemas of `side`. */
export function diffSchemas(before: JsonSchema, after: JsonSchema, side: Side): SchemaDifference[] {
  const diff: Diff = { side, roots: [before, after], seenRefs: new Set(), found: [] };
  diffSchema(diff, before, after, side);
  return diff.found;
}

// Annotations do not change which values are valid. A changed `default` changes what the
// server does with an omitted field, not what clients may send or receive.
const ANNOTATIONS = new Set([
  '$comment',
  '$schema',
  'default',
  'deprecated',
  'description',
  'examples',
  'id',
  'readOnly',
  'title',
  'writeOnly',
]);
const LOWER_BOUNDS = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties'];
const UPPER_BOUNDS = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties'];
const CONSTRAINTS = ['pattern', 'format', 'multipleOf', 'const'];
const HANDLED = new Set([
  ...ANNOTATIONS,
  ...LOWER_BOUNDS,
  ...UPPER_BOUNDS,
  ...CONSTRAINTS,
  'type',
  'enum',
  'anyOf',
  'oneOf',
  'properties',
  'required',
  'additionalProperties',
  'propertyNames',
  'items',
  'prefixItems',
  '$ref',
  '$defs',
]);

function diffSchema(diff: Diff, beforeIn: JsonSchema, afterIn: JsonSchema, at: string) {
  const refPair = `${String(beforeIn.$ref)}|${String(afterIn.$ref)}`;
  if (beforeIn.$ref !== undefined || afterIn.$ref !== undefined) {
    // Recursive schemas refer back to themselves: compare each pair of references once.
    if (diff.seenRefs.has(refPair)) return;
    diff.seenRefs.add(refPair);
  }
  const before = resolve(diff.roots[0], beforeIn);
  const after = resolve(diff.roots[1], afterIn);
  if (same(before, after)) return;
  const note = (detail: string, effect: Effect) =>
    diff.found.push({ location: at, detail, effect });

  const beforeBranches = branches(before);
  const afterBranches = branches(after);
  if (beforeBranches.length > 1 || afterBranches.length > 1) {
    diffUnion(diff, beforeBranches, afterBranches, at);
    return;
  }
  if (!diffTypes(before, after, note)) return;
  diffEnum(before, after, note);
  for (const keyword of CONSTRAINTS) diffConstraint(keyword, before[keyword], after[keyword], note);
  for (const keyword of LOWER_BOUNDS) diffBound(keyword, before[keyword], after[keyword], 1, note);
  for (const keyword of UPPER_BOUNDS) diffBound(keyword, before[keyword], after[keyword], -1, note);
  diffProperties(diff, before, after, at);
  diffAdditionalProperties(diff, before, after, at);
  diffChild(diff, before.propertyNames, after.propertyNames, `${at}{key}`);
  diffChild(diff, before.items, after.items, `${at}[]`);
  diffTuple(diff, asArray(before.prefixItems), asArray(after.prefixItems), at, note);
  for (const keyword of new Set([...Object.keys(before), ...Object.keys(after)])) {
    if (HANDLED.has(keyword) || same(before[keyword], after[keyword])) continue;
    // Keywords zod does not emit today: any change to them counts as both ways.
    note(`${keyword} ${show(before[keyword])} → ${show(after[keyword])}`, 'changed');
  }
}

type Note = (detail: string, effect: Effect) => void;

/** Compares `type`; false when the types differ so much that nothing else is comparable. */
function diffTypes(before: JsonSchema, after: JsonSchema, note: Note): boolean {
  const from = typesOf(before);
  const to = typesOf(after);
  if (same(from, to)) return true;
  const label = (types: string[] | undefined) => (types ? types.join(' | ') : 'any');
  const detail = `type ${label(from)} → ${label(to)}`;
  if (to === undefined || (from !== undefined && covers(to, from))) note(detail, 'widened');
  else if (from === undefined || covers(from, to)) note(detail, 'narrowed');
  else note(detail, 'changed');
  return false;
}

function typesOf(schema: JsonSchema): string[] | undefined {
  const type = schema.type;
  if (type === undefined) return undefined;
  return (Array.isArray(type) ? type.map(String) : [String(type)]).sort();
}

/** Whether every value of `inner` types is one of `outer` types (integers are numbers). */
function covers(outer: string[], inner: string[]): boolean {
  return inner.every(
    (type) => outer.includes(type) || (type === 'integer' && outer.includes('number')),
  );
}

function diffEnum(before: JsonSchema, after: JsonSchema, note: Note) {
  const from = before.enum;
  const to = after.enum;
  if (from === undefined && to === undefined) return;
  if (from === undefined) return note(`now limited to ${show(to)}`, 'narrowed');
  if (to === undefined) return note(`no longer limited to ${show(from)}`, 'widened');
  const fromValues = new Set(asArray(from).map(show));
  const toValues = new Set(asArray(to).map(show));
  for (const value of fromValues) {
    if (!toValues.has(value)) note(`enum value ${value} removed`, 'narrowed');
  }
  for (const value of toValues) {
    if (!fromValues.has(value)) note(`enum value ${value} added`, 'widened');
  }
}

/** `pattern`, `format`, `multipleOf`, `const`: added narrows, removed widens. */
function diffConstraint(
  keyword: string,
  from: JsonValue | undefined,
  to: JsonValue | undefined,
  note: Note,
) {
  if (same(from, to)) return;
  if (from === undefined) note(`${keyword} ${show(to)} added`, 'narrowed');
  else if (to === undefined) note(`${keyword} ${show(from)} removed`, 'widened');
  else note(`${keyword} ${show(from)} → ${show(to)}`, 'changed');
}

/** A bound; `direction` 1 for lower bounds (raising narrows), -1 for upper bounds. */
function diffBound(
  keyword: string,
  from: JsonValue | undefined,
  to: JsonValue | undefined,
  direction: 1 | -1,
  note: Note,
) {
  if (same(from, to)) return;
  if (from === undefined) return note(`${keyword} ${show(to)} added`, 'narrowed');
  if (to === undefined) return note(`${keyword} ${show(from)} removed`, 'widened');
  const tighter = (Number(to) - Number(from)) * direction > 0;
  note(`${keyword} ${show(from)} → ${show(to)}`, tighter ? 'narrowed' : 'widened');
}

/**
 * Object fields. Inputs: a new optional field widens, a new required one narrows, and a
 * removed field is breaking (clients still send it). Outputs: a new field is additive
 * (clients ignore what they do not read), a removed or possibly absent one is not.
 */
function diffProperties(diff: Diff, before: JsonSchema, after: JsonSchema, at: string) {
  const from = asObject(before.properties);
  const to = asObject(after.properties);
  const requiredBefore = new Set(asArray(before.required).map(String));
  const requiredAfter = new Set(asArray(after.required).map(String));
  const input = diff.side === 'input';
  for (const name of [...new Set([...Object.keys(from), ...Object.keys(to)])].sort()) {
    const location = `${at}.${name}`;
    const note = (detail: string, effect: Effect) => diff.found.push({ location, detail, effect });
    const wasRequired = requiredBefore.has(name);
    const isRequired = requiredAfter.has(name);
    if (!(name in from)) {
      const kind = isRequired ? 'required' : 'optional';
      if (input) note(`new ${kind} field`, isRequired ? 'narrowed' : 'widened');
      else note(`new ${kind} field`, 'added');
      continue;
    }
    if (!(name in to)) {
      note('field removed', 'removed');
      continue;
    }
    if (wasRequired && !isRequired) note(input ? 'now optional' : 'may now be absent', 'widened');
    if (!wasRequired && isRequired) note(input ? 'now required' : 'now always present', 'narrowed');
    diffChild(diff, from[name], to[name], location);
  }
}

/**
 * Inputs: whether unknown fields are refused (`false`), and records' value schemas.
 * Outputs always list their fields, so only records' value schemas matter there.
 */
function diffAdditionalProperties(diff: Diff, before: JsonSchema, after: JsonSchema, at: string) {
  const from = before.additionalProperties;
  const to = after.additionalProperties;
  if (same(from, to)) return;
  const closedBefore = from === false;
  const closedAfter = to === false;
  if (closedBefore !== closedAfter) {
    if (diff.side === 'output') return;
    const detail = closedAfter ? 'unknown fields now refused' : 'unknown fields now accepted';
    diff.found.push({ location: at, detail, effect: closedAfter ? 'narrowed' : 'widened' });
    return;
  }
  diffChild(diff, from === true ? {} : from, to === true ? {} : to, `${at}.*`);
}

function diffTuple(diff: Diff, from: JsonValue[], to: JsonValue[], at: string, note: Note) {
  if (from.length !== to.length) {
    note(`tuple length ${from.length} → ${to.length}`, 'changed');
    return;
  }
  from.forEach((item, index) => {
    diffChild(diff, item, to[index], `${at}[${index}]`);
  });
}

function diffChild(diff: Diff, from: JsonValue | undefined, to: JsonValue | undefined, at: string) {
  if (from === undefined && to === undefined) return;
  // An absent subschema accepts anything, like `{}`.
  diffSchema(diff, asObject(from ?? {}), asObject(to ?? {}), at);
}

/**
 * Unions (zod's nullable and union both emit `anyOf`): identical alternatives match,
 * then alternatives of the same kind are compared; the rest were removed or added.
 */
function diffUnion(diff: Diff, from: JsonSchema[], to: JsonSchema[], at: string) {
  const unmatched = to.filter((branch) => !from.some((old) => same(old, branch)));
  const gone = from.filter((branch) => !to.some((now) => same(now, branch)));
  const added: JsonSchema[] = [];
  for (const branch of unmatched) {
    const kin = gone.filter((old) => kindOf(old) === kindOf(branch));
    const twins = unmatched.filter((now) => kindOf(now) === kindOf(branch));
    if (kin.length === 1 && twins.length === 1) {
      diffSchema(diff, kin[0] as JsonSchema, branch, at);
      gone.splice(gone.indexOf(kin[0] as JsonSchema), 1);
    } else {
      added.push(branch);
    }
  }
  for (const branch of gone) {
    diff.found.push({
      location: at,
      detail: `alternative ${describe(branch)} removed`,
      effect: 'narrowed',
    });
  }
  // A union told apart by `type` in every branch (the events) is open by contract: clients
  // ignore types they do not know (docs/api.md), so a new type is an addition, not a
  // wider value old clients could misread.
  const openByType = [...from, ...to].every((branch) => typeTag(branch) !== undefined);
  for (const branch of added) {
    diff.found.push(
      openByType
        ? {
            location: at,
            detail: `type ${show(typeTag(branch) ?? null)} added (clients ignore types they do not know)`,
            effect: 'added',
          }
        : { location: at, detail: `alternative ${describe(branch)} added`, effect: 'widened' },
    );
  }
}

/** The constant `type` of an object branch, when it has one. */
function typeTag(schema: JsonSchema): JsonValue | undefined {
  return asObject(asObject(schema.properties).type).const;
}

function branches(schema: JsonSchema): JsonSchema[] {
  const alternatives = schema.anyOf ?? schema.oneOf;
  return alternatives === undefined ? [schema] : asArray(alternatives).map(asObject);
}

/** What pairs union alternatives: their types, and for objects their literal fields (tags). */
function kindOf(schema: JsonSchema): string {
  const tags = Object.entries(asObject(schema.properties))
    .filter(([, property]) => asObject(property).const !== undefined)
    .map(([name, property]) => `${name}=${show(asObject(property).const)}`);
  return [...(typesOf(schema) ?? ['any']), ...tags.sort()].join(',');
}

function describe(schema: JsonSchema): string {
  if (schema.const !== undefined) return show(schema.const);
  const keys = Object.keys(schema).filter((key) => !ANNOTATIONS.has(key));
  if (keys.length === 1 && typeof schema.type === 'string') return schema.type;
  return truncate(show(schema), 60);
}

function resolve(root: JsonSchema, schema: JsonSchema): JsonSchema {
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#')) return schema;
  let target: JsonValue = root;
  for (const segment of ref.slice(1).split('/').filter(Boolean))
    target = asObject(target)[segment] ?? {};
  return asObject(target);
}

function same(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function show(value: JsonValue | undefined): string {
  return truncate(JSON.stringify(value) ?? 'undefined', 80);
}

function truncate(text: string, length: number): string {
  return text.length > length ? `${text.slice(0, length - 1)}…` : text;
}
