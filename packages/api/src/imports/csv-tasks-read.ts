import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';

// Reading an uploaded CSV file record by record, never whole: csv-parse streams, and the
// records are handed on in chunks so that each chunk's lookups take one query.

/** One record of the file; `row` counts records from 1 (the header), blank lines included. */
export interface CsvRecord {
  row: number;
  fields: string[];
}

/**
 * The longest record read, in characters: an unclosed quote would otherwise buffer the rest
 * of the file. A task's text is far shorter (a description ≤ 20,000 characters).
 */
export const MAX_RECORD_CHARS = 1_000_000;

/** The file is not CSV csv-parse can read (an unclosed quote, a stray quote…). */
export class CsvSyntaxError extends Error {
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(message);
  }
}

/** A record with one empty field: a blank line, skipped (it still counts as a row). */
export function isBlank(record: CsvRecord): boolean {
  return record.fields.length === 1 && record.fields[0] === '';
}

interface ParserError {
  code?: string;
  records?: number;
  message: string;
}

/**
 * The file's records in chunks of `size` (the header is the first record of the first
 * chunk). UTF-8, `,` between fields, `"` quotes (`""` inside them), CRLF or LF line ends, a
 * byte-order mark ignored. Rows may have any number of fields: callers judge them.
 */
export async function* readCsvChunks(file: string, size: number): AsyncGenerator<CsvRecord[]> {
  const input = createReadStream(file);
  const parser = input.pipe(
    parse({
      bom: true,
      relax_column_count: true,
      skip_empty_lines: false,
      max_record_size: MAX_RECORD_CHARS,
      info: true,
    }),
  );
  // pipe() does not pass a read error on: without this the loop below would wait forever.
  input.on('error', (error) => parser.destroy(error));
  let chunk: CsvRecord[] = [];
  try {
    for await (const item of parser as AsyncIterable<{
      record: string[];
      info: { records: number };
    }>) {
      chunk.push({ row: item.info.records, fields: item.record });
      if (chunk.length >= size) {
        yield chunk;
        chunk = [];
      }
    }
  } catch (error) {
    const failure = error as ParserError;
    if (typeof failure.code !== 'string' || !failure.code.startsWith('CSV_')) throw error;
    // The record that failed is the one after the last whole one.
    const row = (failure.records ?? 0) + 1;
    throw new CsvSyntaxError(row, `Row ${row} is not valid CSV: ${failure.message}`);
  } finally {
    input.destroy();
    parser.destroy();
  }
  if (chunk.length > 0) yield chunk;
}
