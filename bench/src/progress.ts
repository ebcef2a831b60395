/** Prints a progress line on stderr, so that stdout holds only the results. */
export function progress(line: string): void {
  process.stderr.write(`${line}\n`);
}
