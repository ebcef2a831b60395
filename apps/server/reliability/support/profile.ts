/**
 * How hard the reliability suites push: the `ci` profile (what `pnpm test` and
 * `pnpm test:reliability` run, each suite bounded to about half a minute, the whole pass to
 * about 1.5 minutes) or `nightly` (`TRELLIS_RELIABILITY=nightly`: ten times the fuzz
 * cases and kills, a soak ten times as long).
 */
export interface ReliabilityProfile {
  name: 'ci' | 'nightly';
  /** Generated inputs per procedure in the fuzzing suite. */
  fuzzRunsPerProcedure: number;
  /** SIGKILLs in the crash suite. */
  kills: number;
  /** Seconds of mixed traffic in the soak. */
  soakSeconds: number;
}

export const profile: ReliabilityProfile =
  process.env.TRELLIS_RELIABILITY === 'nightly'
    ? { name: 'nightly', fuzzRunsPerProcedure: 1000, kills: 100, soakSeconds: 300 }
    : { name: 'ci', fuzzRunsPerProcedure: 100, kills: 10, soakSeconds: 30 };
