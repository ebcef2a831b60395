// Breaking API changes are recorded for client authors in CHANGELOG.md, under
// `## Unreleased` until a release gives the section its version.

/** The lines of the `## Unreleased` section; undefined when there is none. */
export function unreleasedSection(changelog: string): string[] | undefined {
  const lines = changelog.split(/\r?\n/);
  const start = lines.findIndex((line) => /^##\s+\[?unreleased\]?\s*$/i.test(line.trim()));
  if (start === -1) return undefined;
  const end = lines.findIndex((line, index) => index > start && /^##?\s/.test(line));
  return lines.slice(start + 1, end === -1 ? undefined : end);
}

/** The procedure paths that no line of `section` names (`tasks.create`, not `tasks.created`). */
export function unmentioned(section: string[], procedures: string[]): string[] {
  return procedures.filter((procedure) => {
    const escaped = procedure.replaceAll('.', '\\.');
    const named = new RegExp(`(?<![\\w.])${escaped}(?![\\w-]|\\.\\w)`);
    return !section.some((line) => named.test(line));
  });
}
