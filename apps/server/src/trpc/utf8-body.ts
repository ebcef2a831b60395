import { isUtf8 } from 'node:buffer';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * A request body that is not valid UTF-8. Decoding it anyway would turn the bad bytes into
 * U+FFFD and store text the client never sent; refused with 400 instead (the error
 * handlers answer `statusCode` errors with that status, in the route's error shape).
 */
export class InvalidUtf8BodyError extends Error {
  readonly statusCode = 400;
  readonly code = 'TRELLIS_INVALID_UTF8_BODY';

  constructor() {
    super('The request body is not valid UTF-8');
  }
}

/** The body's text, for a JSON content-type parser with `parseAs: 'buffer'`. */
export function utf8Text(body: Buffer): string {
  if (!isUtf8(body)) throw new InvalidUtf8BodyError();
  return body.toString('utf8');
}

/**
 * The body stream, checked as it flows (a `preParsing` hook's payload): for parsers that are
 * not ours (tRPC's official adapter installs its own), which decode without checking.
 */
export function checkedUtf8Stream(payload: NodeJS.ReadableStream): Transform {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const check = new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        decoder.decode(chunk, { stream: true });
        callback(null, chunk);
      } catch {
        callback(new InvalidUtf8BodyError());
      }
    },
    flush(callback: TransformCallback) {
      try {
        decoder.decode();
        callback();
      } catch {
        callback(new InvalidUtf8BodyError());
      }
    },
  });
  payload.on('error', (error) => check.destroy(error));
  return payload.pipe(check);
}
