import { describe, expect, it } from 'vitest';
import {
  type Delivery,
  deliverySummary,
  latencyText,
  statusText,
  triggerText,
} from './deliveryText';

const DELIVERED: Delivery = {
  id: 'd1',
  webhookId: 'w1',
  eventId: 'e1',
  eventType: 'task.created',
  attempt: 1,
  trigger: 'event',
  outcome: 'delivered',
  statusCode: 204,
  latencyMs: 12,
  error: null,
  responseExcerpt: '',
  createdAt: '2030-01-01T00:00:00.000Z',
};

describe('delivery text', () => {
  it('names who sent it', () => {
    expect(triggerText('event')).toBe('sent');
    expect(triggerText('redelivery')).toBe('redelivered');
    expect(triggerText('ping')).toBe('test');
  });

  it('says the answer, or that none came', () => {
    expect(statusText(500)).toBe('HTTP 500');
    expect(statusText(null)).toBe('no answer');
  });

  it('writes latency in ms below a second, in seconds above', () => {
    expect(latencyText(0)).toBe('0 ms');
    expect(latencyText(999)).toBe('999 ms');
    expect(latencyText(1234)).toBe('1.2 s');
    expect(latencyText(10_000)).toBe('10 s');
  });

  it('sums a delivery up in a sentence', () => {
    expect(deliverySummary(DELIVERED)).toBe('delivered (HTTP 204, 12 ms)');
    expect(
      deliverySummary({
        ...DELIVERED,
        outcome: 'failed',
        statusCode: null,
        latencyMs: 10_000,
        error: 'timed out',
      }),
    ).toBe('failed (no answer, 10 s): timed out');
    expect(
      deliverySummary({ ...DELIVERED, outcome: 'failed', statusCode: 500, error: 'HTTP 500' }),
    ).toBe('failed (HTTP 500, 12 ms)');
  });
});
