import { describe, expect, it } from 'vitest';
import { networkFailure, refusal } from '../test/trellisErrors';
import {
  fieldErrorsOf,
  isConflict,
  isRetryable,
  messageOf,
  retryAfterOf,
  waitText,
} from './errors';

describe('messageOf', () => {
  it('says the server cannot be reached when no Trellis server answered', () => {
    expect(messageOf(networkFailure())).toBe('Cannot reach the server. Check your connection.');
  });

  it('says how long to wait after a 429 that gave Retry-After, and to wait a moment when not', () => {
    expect(messageOf(refusal('TOO_MANY_REQUESTS', 429, { retryAfter: '45' }))).toBe(
      'Too many attempts. Try again in 45 seconds.',
    );
    expect(messageOf(refusal('TOO_MANY_REQUESTS', 429))).toBe(
      'Too many attempts. Wait a moment and retry.',
    );
  });

  it('passes on the server’s message for other refusals', () => {
    expect(messageOf(refusal('CONFLICT', 409, { message: 'Someone else edited it' }))).toBe(
      'Someone else edited it',
    );
  });

  it('uses an Error’s message, and a plain sentence for anything else', () => {
    expect(messageOf(new Error('Boom'))).toBe('Boom');
    expect(messageOf('nope')).toBe('Something went wrong.');
    expect(messageOf(undefined)).toBe('Something went wrong.');
  });
});

describe('fieldErrorsOf', () => {
  it('is the refusal’s messages by input path, or none', () => {
    const fieldErrors = { title: ['Too long'], 'patch.status': ['Not a status'] };

    expect(fieldErrorsOf(refusal('BAD_REQUEST', 400, { fieldErrors }))).toEqual(fieldErrors);
    expect(fieldErrorsOf(refusal('NOT_FOUND', 404))).toEqual({});
    expect(fieldErrorsOf(new Error('Boom'))).toEqual({});
  });
});

describe('isRetryable', () => {
  it('is true when the network or the server failed, not when the request was refused', () => {
    expect(isRetryable(networkFailure())).toBe(true);
    expect(isRetryable(refusal('SERVICE_UNAVAILABLE', 503))).toBe(true);
    expect(isRetryable(refusal('INTERNAL_SERVER_ERROR', 500))).toBe(true);
    expect(isRetryable(refusal('BAD_REQUEST', 400))).toBe(false);
    expect(isRetryable(refusal('TOO_MANY_REQUESTS', 429))).toBe(false);
    expect(isRetryable(new Error('Boom'))).toBe(false);
  });
});

describe('isConflict', () => {
  it('is true only for CONFLICT', () => {
    expect(isConflict(refusal('CONFLICT', 409))).toBe(true);
    expect(isConflict(refusal('BAD_REQUEST', 400))).toBe(false);
    expect(isConflict(networkFailure())).toBe(false);
    expect(isConflict(new Error('CONFLICT'))).toBe(false);
  });
});

describe('retryAfterOf', () => {
  it('reads Retry-After in seconds', () => {
    expect(retryAfterOf(refusal('TOO_MANY_REQUESTS', 429, { retryAfter: '120' }))).toBe(120);
    expect(retryAfterOf(refusal('TOO_MANY_REQUESTS', 429, { retryAfter: '0' }))).toBe(0);
  });

  it('is undefined without the header, for a value that is not seconds, or without an answer', () => {
    expect(retryAfterOf(refusal('TOO_MANY_REQUESTS', 429))).toBeUndefined();
    expect(retryAfterOf(refusal('TOO_MANY_REQUESTS', 429, { retryAfter: 'soon' }))).toBeUndefined();
    expect(retryAfterOf(refusal('TOO_MANY_REQUESTS', 429, { retryAfter: '-5' }))).toBeUndefined();
    expect(retryAfterOf(networkFailure())).toBeUndefined();
    expect(retryAfterOf(new Error('Boom'))).toBeUndefined();
  });
});

describe('waitText', () => {
  it.each([
    [1, '1 second'],
    [45, '45 seconds'],
    [59, '59 seconds'],
    [60, '1 minute'],
    [61, '2 minutes'],
    [600, '10 minutes'],
  ])('says %d seconds as "%s"', (seconds, text) => {
    expect(waitText(seconds)).toBe(text);
  });
});
