import { describe, expect, it } from 'vitest';
import { refusal } from '../test/trellisErrors';
import { linkRefusalOf } from './linkRefusal';

describe('linkRefusalOf', () => {
  it('is the server’s message for the token when it named that field', () => {
    const error = refusal('BAD_REQUEST', 400, {
      message: 'Invalid input',
      fieldErrors: { token: ['This link has expired.', 'Ask for a new one.'] },
    });

    expect(linkRefusalOf(error)).toBe('This link has expired. Ask for a new one.');
  });

  it('is the error’s own message otherwise', () => {
    expect(linkRefusalOf(refusal('CONFLICT', 409, { message: 'Already verified' }))).toBe(
      'Already verified',
    );
    expect(
      linkRefusalOf(refusal('BAD_REQUEST', 400, { fieldErrors: { email: ['Not an email'] } })),
    ).toBe('Refused by the server');
  });
});
