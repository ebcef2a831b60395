import { describe, expect, it } from 'vitest';
import { parseMentions } from './mentions.js';

const values = (text: string) => parseMentions(text).map((m) => `${m.kind}:${m.value}`);

describe('parseMentions', () => {
  it('finds handles at the start and after non-word characters', () => {
    expect(values('@jane and (@bob), @carl_x; "@dee-2"')).toEqual([
      'handle:jane',
      'handle:bob',
      'handle:carl_x',
      'handle:dee-2',
    ]);
  });

  it('finds emails, keeping their dots and plus signs', () => {
    expect(values('ping @jane.doe+qa@Example.co.uk please')).toEqual([
      'email:jane.doe+qa@example.co.uk',
    ]);
  });

  it('does not read an address in prose as a mention of its domain', () => {
    expect(values('write to bob@x.org or ann_b@x.org')).toEqual([]);
    expect(values('a@b')).toEqual([]);
  });

  it('leaves trailing punctuation out', () => {
    expect(values('thanks @jane. And @bob! Or @carl-? Also @dee_, @eve@x.org.')).toEqual([
      'handle:jane',
      'handle:bob',
      'handle:carl',
      'handle:dee',
      'email:eve@x.org',
    ]);
  });

  it('ignores case and lists each mention once, with the text first written', () => {
    expect(parseMentions('@Jane, @JANE and @jane')).toEqual([
      { text: '@Jane', value: 'jane', kind: 'handle' },
    ]);
  });

  it('finds nothing in a lone @ or one followed by punctuation', () => {
    expect(values('@ @. @- @_x')).toEqual([]);
  });

  it('counts an @ after a non-Latin letter as part of a word', () => {
    expect(values('né@jane')).toEqual([]);
    expect(values('日本 @jane')).toEqual(['handle:jane']);
  });
});
