import { TRPCError } from '@trpc/server';
import { isObject } from './data-stream.js';

/**
 * The inputs of one request's calls (`{"0": input, "1": input}` for a batch), parsed once,
 * the first time a call asks: tRPC reads them only when a procedure's input parser runs,
 * so a guard that throws first (UNAUTHORIZED) wins over a malformed input.
 */
export class Inputs {
  private state: 'unread' | 'read' | 'failed' = 'unread';
  private values: Record<number, unknown> = {};
  private error: unknown;

  constructor(
    /** The inputs' JSON text; null when the request has none. */
    private readonly source: string | null,
    private readonly isBatch: boolean,
    private readonly count: number,
    private readonly deserialize: (value: unknown) => unknown,
  ) {}

  /** The raw input of call `index` (tRPC's `getRawInput`). */
  read(index: number): Promise<unknown> {
    if (this.state === 'unread') this.load();
    return this.state === 'read' ? Promise.resolve(this.values[index]) : Promise.reject(this.error);
  }

  /** The input of a call if it was parsed, for error reports (as tRPC's `call.result()`). */
  result(index: number): unknown {
    return this.state === 'read' ? this.values[index] : undefined;
  }

  private load(): void {
    try {
      const inputs: unknown = this.source === null ? undefined : JSON.parse(this.source);
      const values: Record<number, unknown> = Object.create(null);
      if (inputs !== undefined) {
        if (!this.isBatch) {
          values[0] = this.deserialize(inputs);
        } else {
          if (!isObject(inputs)) {
            throw new TRPCError({
              code: 'BAD_REQUEST',
              message: '"input" needs to be an object when doing a batch call',
            });
          }
          for (let index = 0; index < this.count; index += 1) {
            const input = inputs[index];
            if (input !== undefined) values[index] = this.deserialize(input);
          }
        }
      }
      this.values = values;
      this.state = 'read';
    } catch (cause) {
      this.state = 'failed';
      this.error =
        cause instanceof TRPCError
          ? cause
          : new TRPCError({
              code: 'BAD_REQUEST',
              message: cause instanceof Error ? cause.message : 'Invalid input',
              cause,
            });
    }
  }
}
