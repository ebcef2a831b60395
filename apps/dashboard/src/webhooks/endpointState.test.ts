import { describe, expect, it } from 'vitest';
import {
  attemptsText,
  endpointState,
  previousSecretValid,
  type Webhook,
  webhookPatch,
} from './endpointState';

const HEALTHY: Webhook = {
  id: 'w1',
  workspaceId: 'ws1',
  url: 'https://hooks.example.com/in',
  description: 'CI',
  events: null,
  enabled: true,
  disabledReason: null,
  failingSince: null,
  failedAttempts: 0,
  nextAttemptAt: null,
  previousSecretExpiresAt: null,
  createdAt: '2030-01-01T00:00:00.000Z',
  updatedAt: '2030-01-01T00:00:00.000Z',
};

describe('endpointState', () => {
  it('is ok while enabled and not failing', () => {
    expect(endpointState(HEALTHY)).toEqual({ kind: 'ok' });
  });

  it('tells a retrying endpoint from a disabled one, the server’s reason first', () => {
    const failing = {
      ...HEALTHY,
      failingSince: '2030-01-02T00:00:00.000Z',
      failedAttempts: 3,
      nextAttemptAt: '2030-01-02T01:00:00.000Z',
    };
    expect(endpointState(failing)).toEqual({
      kind: 'failing',
      since: '2030-01-02T00:00:00.000Z',
      attempts: 3,
      nextAttemptAt: '2030-01-02T01:00:00.000Z',
    });
    expect(
      endpointState({ ...failing, enabled: false, disabledReason: 'Retries ran out' }),
    ).toEqual({ kind: 'disabled-by-server', reason: 'Retries ran out' });
    expect(endpointState({ ...HEALTHY, enabled: false })).toEqual({ kind: 'disabled' });
  });

  it('counts attempts in words', () => {
    expect(attemptsText(1)).toBe('1 failed attempt');
    expect(attemptsText(4)).toBe('4 failed attempts');
  });
});

describe('previousSecretValid', () => {
  const now = new Date('2030-01-01T12:00:00.000Z');

  it('holds until the previous secret expires', () => {
    expect(previousSecretValid(HEALTHY, now)).toBe(false);
    const rotated = { ...HEALTHY, previousSecretExpiresAt: '2030-01-02T12:00:00.000Z' };
    expect(previousSecretValid(rotated, now)).toBe(true);
    expect(previousSecretValid(rotated, new Date('2030-01-02T12:00:00.000Z'))).toBe(false);
  });
});

describe('webhookPatch', () => {
  const edit = { url: HEALTHY.url, description: HEALTHY.description, events: null };

  it('is null when nothing changed (URL spaces aside)', () => {
    expect(webhookPatch(HEALTHY, edit)).toBeNull();
    expect(
      webhookPatch(HEALTHY, { ...edit, url: ` ${HEALTHY.url} `, description: 'CI ' }),
    ).toBeNull();
    const some = { ...HEALTHY, events: ['task.created', 'task.deleted'] };
    expect(webhookPatch(some, { ...edit, events: ['task.deleted', 'task.created'] })).toBeNull();
  });

  it('carries only the fields that changed', () => {
    expect(webhookPatch(HEALTHY, { ...edit, url: 'https://other.example.com/' })).toEqual({
      url: 'https://other.example.com/',
    });
    expect(webhookPatch(HEALTHY, { ...edit, description: '' })).toEqual({ description: '' });
    expect(webhookPatch(HEALTHY, { ...edit, events: ['task.created'] })).toEqual({
      events: ['task.created'],
    });
    const some = { ...HEALTHY, events: ['task.created'] };
    expect(webhookPatch(some, edit)).toEqual({ events: null });
  });
});
