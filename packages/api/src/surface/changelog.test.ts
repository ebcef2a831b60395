import { describe, expect, it } from 'vitest';
import { unmentioned, unreleasedSection } from './changelog.js';

const changelog = `# Changelog

## Unreleased

- Breaking: \`tasks.create\` refuses titles over 100 characters.
- members.invite takes a role.

## 0.1.0

- projects.archive added.
`;

describe('unreleasedSection', () => {
  it('is the lines between `## Unreleased` and the next release heading', () => {
    const section = unreleasedSection(changelog);
    expect(section?.filter(Boolean)).toEqual([
      '- Breaking: `tasks.create` refuses titles over 100 characters.',
      '- members.invite takes a role.',
    ]);
  });

  it('is undefined without an Unreleased heading', () => {
    expect(unreleasedSection('# Changelog\n\n## 0.1.0\n- tasks.create\n')).toBeUndefined();
  });
});

describe('unmentioned', () => {
  const section = unreleasedSection(changelog) ?? [];

  it('finds paths named with or without backticks, at the end of a sentence too', () => {
    expect(unmentioned(section, ['tasks.create', 'members.invite'])).toEqual([]);
  });

  it('does not count released entries or longer names that start with the path', () => {
    expect(unmentioned(section, ['projects.archive', 'tasks.crea', 'invite'])).toEqual([
      'projects.archive',
      'tasks.crea',
      'invite',
    ]);
  });
});
