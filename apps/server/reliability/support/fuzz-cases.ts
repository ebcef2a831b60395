import type { ProcedureSchemas } from '@trellis/api';
import fc from 'fast-check';
import { type IdPool, procedureInputArbitrary } from './fuzz-arbitrary.js';
import { INVALID_UTF8_BODIES, mutate, mutationArbitrary, rawJsonTexts } from './fuzz-hostile.js';
import type { Call, CredentialKind, Payload } from './fuzz-http.js';

// What one fuzzing case is: who calls, with which input(s), alone or in a batch.

/** One generated request. */
export interface FuzzCase {
  credential: CredentialKind;
  /** The fuzzed procedure's call first; then batch companions, if any. */
  calls: Call[];
  batch: boolean;
}

/** Inputs for one procedure: valid-ish, damaged, not JSON at all, or over the body limit. */
export function payloadArbitrary(schemas: ProcedureSchemas, ids: IdPool): fc.Arbitrary<Payload> {
  const validish = procedureInputArbitrary(schemas.inputs, ids);
  // Huge strings only where a body carries them; a query's input travels in the URL.
  const hostile = fc
    .tuple(validish, mutationArbitrary(schemas.type === 'mutation'))
    .map(([input, mutation]) => mutate(input, mutation));
  const raw = fc.tuple(validish, fc.nat()).map(([input, pick]) => {
    const texts = rawJsonTexts(JSON.stringify(input) ?? '{}');
    return texts[pick % texts.length] as string;
  });
  const options: fc.WeightedArbitrary<Payload>[] = [
    { weight: 12, arbitrary: validish.map((input) => ({ kind: 'json' as const, input })) },
    { weight: 12, arbitrary: hostile.map((input) => ({ kind: 'json' as const, input })) },
    { weight: 4, arbitrary: raw.map((text) => ({ kind: 'raw' as const, text })) },
    {
      weight: 1,
      arbitrary: fc
        .constantFrom(...INVALID_UTF8_BODIES)
        .map((bytes) => ({ kind: 'bytes' as const, bytes })),
    },
  ];
  if (schemas.type === 'mutation') {
    options.push({ weight: 1, arbitrary: fc.constant({ kind: 'oversize' as const }) });
  }
  return fc.oneof(...options);
}

const credential: fc.Arbitrary<CredentialKind> = fc.oneof(
  { weight: 14, arbitrary: fc.constant<CredentialKind>('session') },
  { weight: 2, arbitrary: fc.constant<CredentialKind>('cookie') },
  { weight: 2, arbitrary: fc.constant<CredentialKind>('apiToken') },
  { weight: 2, arbitrary: fc.constant<CredentialKind>('none') },
);

/**
 * Cases for the procedure `path`: about one in five goes as a batch together with up to
 * three calls of other procedures of the same kind (`payloads` holds their inputs).
 * Subscriptions are never batched.
 */
export function caseArbitrary(
  path: string,
  schemas: ProcedureSchemas,
  payloads: ReadonlyMap<string, fc.Arbitrary<Payload>>,
): fc.Arbitrary<FuzzCase> {
  const own = payloads.get(path);
  if (!own) throw new Error(`no payloads for ${path}`);
  const single = fc.record({ credential, payload: own }).map(({ credential, payload }) => ({
    credential,
    calls: [{ path, payload }],
    batch: false,
  }));
  if (schemas.type === 'subscription') return single;
  const companionPaths = [...payloads.keys()];
  const companion = fc
    .constantFrom(...companionPaths)
    .chain((other) =>
      (payloads.get(other) as fc.Arbitrary<Payload>).map(
        (payload): Call => ({ path: other, payload }),
      ),
    );
  const batched = fc
    .record({ credential, payload: own, companions: fc.array(companion, { maxLength: 3 }) })
    .map(({ credential, payload, companions }) => ({
      credential,
      calls: [{ path, payload }, ...companions],
      batch: true,
    }));
  return fc.oneof({ weight: 4, arbitrary: single }, { weight: 1, arbitrary: batched });
}
