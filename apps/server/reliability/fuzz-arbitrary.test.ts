// The zod → fast-check mapper of the fuzzing suite: it must cover every input schema the
// router declares, and what it generates must mostly pass those schemas, or the fuzzing
// would only ever exercise validation.
import { appRouter, procedureSchemas } from '@trellis/api';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { arbitraryFor, procedureInputArbitrary } from './support/fuzz-arbitrary.js';

const SAMPLES = 200;

describe('arbitraryFor', () => {
  it('generates values within the bounds a schema declares', () => {
    const schema = z
      .object({
        name: z.string().min(2).max(5),
        key: z.string().regex(/^[A-Z]{2,4}$/),
        count: z.number().int().min(1).max(3),
        tags: z
          .array(z.enum(['a', 'b']))
          .min(1)
          .max(2),
        when: z.iso.datetime().nullable().optional(),
        email: z.email(),
        mode: z.literal('x').default('x'),
      })
      .strict();
    for (const value of fc.sample(arbitraryFor(schema), { numRuns: SAMPLES, seed: 1 })) {
      expect(schema.safeParse(value).success, JSON.stringify(value)).toBe(true);
    }
  });

  it('plugs real ids into the fields named in the pool', () => {
    const schema = z.object({ workspaceId: z.string().min(1) });
    const values = fc.sample(arbitraryFor(schema, { workspaceId: ['w1', 'w2'] }), {
      numRuns: SAMPLES,
      seed: 2,
    }) as { workspaceId: string }[];
    const real = values.filter((value) => value.workspaceId === 'w1' || value.workspaceId === 'w2');
    expect(real.length).toBeGreaterThan(SAMPLES / 2);
  });

  it('refuses a zod type it has no generator for, rather than skipping it', () => {
    expect(() => arbitraryFor(z.bigint())).toThrow(/bigint/);
  });
});

describe('every procedure input', () => {
  const procedures = [...procedureSchemas(appRouter)];

  it.each(procedures)('%s: mostly valid inputs', (_path, procedure) => {
    const arbitrary = procedureInputArbitrary(procedure.inputs);
    const values = fc.sample(arbitrary, { numRuns: SAMPLES, seed: 3 });
    const parse = (value: unknown) =>
      procedure.inputs.every((input) => input.safeParse(value).success);
    // Refinements (printable text, trimmed names, valid dates) are not generated for, so
    // not all pass; a quarter is plenty to reach the handlers.
    expect(values.filter(parse).length).toBeGreaterThanOrEqual(SAMPLES / 4);
  });
});
