import { describe, expect, it } from 'vitest';
import { slugify } from './slugify';

describe('slugify', () => {
  it.each([
    ['Acme', 'acme'],
    ['Acme Inc.', 'acme-inc'],
    ['  Hello,  World!! ', 'hello-world'],
    ['--Design--Team--', 'design-team'],
    ['Team 42', 'team-42'],
    ['Ｔｒｅｌｌｉｓ', 'trellis'],
    ['ﬁnance', 'finance'],
  ])('suggests %j → %j', (name, slug) => {
    expect(slugify(name)).toBe(slug);
  });

  it('suggests nothing for a name without letters or digits', () => {
    expect(slugify('')).toBe('');
    expect(slugify('!!! ???')).toBe('');
  });

  it('keeps at most 48 characters and never ends on a hyphen', () => {
    const slug = slugify(`${'a'.repeat(47)} ${'b'.repeat(20)}`);

    expect(slug).toBe('a'.repeat(47));
    expect(slugify('word '.repeat(30)).length).toBeLessThanOrEqual(48);
    expect(slugify('word '.repeat(30))).not.toMatch(/-$/);
  });
});
