import { pipeline, Readable } from 'node:stream';
import { stringify } from 'csv-stringify';
import { stringify as stringifySync } from 'csv-stringify/sync';
import type { FastifyReply } from 'fastify';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { DomainError, ValidationFailedError } from '../errors';

export type ExportFormat = 'csv' | 'ndjson';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['csv', 'ndjson'];

const MEDIA_TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/**
 * The format of an export: `format` when given (400 naming it otherwise), else the first of
 * text/csv or application/(x-)ndjson the Accept header names, else CSV.
 */
export function exportFormatOf(format: string | undefined, accept: string | undefined): ExportFormat {
  if (format !== undefined) {
    if ((EXPORT_FORMATS as readonly string[]).includes(format)) return format as ExportFormat;
    throw new ValidationFailedError([{ path: 'format', message: `must be one of ${EXPORT_FORMATS.join(', ')}` }]);
  }
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    if (type === 'text/csv') return 'csv';
    if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  }
  return 'csv';
}

/** The bounds of a range as a file-name part: `from-2025-10-23T000000Z_till-…` ('' for none). */
export function rangeFileName(from?: Date, till?: Date): string {
  const compact = (t: Date) => t.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/:/g, '');
  return [from && `from-${compact(from)}`, till && `till-${compact(till)}`].filter(Boolean).join('_');
}

/** `format`, shared by every export route. */
export class ExportFormatQueryDto {
  @ApiPropertyOptional({
    enum: EXPORT_FORMATS,
    description: 'csv (RFC 4180, a header row) or ndjson (one JSON object a line). Without it, the Accept header decides (text/csv, application/x-ndjson); else csv.',
  })
  @IsOptional()
  @IsIn(EXPORT_FORMATS as ExportFormat[], { message: `must be one of ${EXPORT_FORMATS.join(', ')}` })
  format?: ExportFormat;
}

/** Each row of a lazy sequence mapped, still lazily (stopping early stops the source). */
export async function* mapRows<T, U>(rows: AsyncIterable<T>, map: (row: T) => U): AsyncGenerator<U> {
  for await (const row of rows) yield map(row);
}

/** The formats of a JSON answer that can also be downloaded as a file (the analytics answers). */
export type AnswerFormat = 'json' | ExportFormat;
export const ANSWER_FORMATS: readonly AnswerFormat[] = ['json', ...EXPORT_FORMATS];

/** `format` of an answer: json (the default), or the same figures as a csv or ndjson file. */
export class AnswerFormatQueryDto {
  @ApiPropertyOptional({
    enum: ANSWER_FORMATS,
    default: 'json',
    description:
      'json (the default), or the same figures as a file: csv (RFC 4180, a header row, one row per figure) or ndjson. ' +
      'Without it, an Accept header naming text/csv or application/x-ndjson (and not application/json) asks for that file.',
  })
  @IsOptional()
  @IsIn(ANSWER_FORMATS as AnswerFormat[], { message: `must be one of ${ANSWER_FORMATS.join(', ')}` })
  format?: AnswerFormat;
}

/** The file an answer is asked as, or undefined for JSON: `format` first, else the Accept header's first known type. */
export function answerFileFormatOf(format: AnswerFormat | undefined, accept: string | undefined): ExportFormat | undefined {
  if (format !== undefined) return format === 'json' ? undefined : format;
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase();
    if (type === 'application/json' || type === 'application/*' || type === '*/*') return undefined;
    if (type === 'text/csv') return 'csv';
    if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
  }
  return undefined;
}

/**
 * A small answer already in memory, as a downloadable file: sets the file's headers on the
 * reply and returns its body (the caller returns it as the response). The same CSV rules as
 * the streamed exports: RFC 4180, CRLF, a header row, formula cells neutralised.
 */
export function answerFile<T>(reply: FastifyReply, format: ExportFormat, fileName: string, columns: ExportColumn<T>[], rows: T[]): string {
  void reply
    .header('content-type', MEDIA_TYPES[format])
    .header('content-disposition', `attachment; filename="${fileName}.${format}"`)
    .header('cache-control', 'no-store');
  if (format === 'ndjson') {
    return rows.map((row) => JSON.stringify(Object.fromEntries(columns.map((c) => [c.header, c.cell(row)]))) + '\n').join('');
  }
  return stringifySync(
    rows.map((row) => columns.map((c) => c.cell(row))),
    csvOptions(columns),
  );
}

/**
 * A download's name from what was asked, `_`-joined (parts left out when empty), each part made
 * safe: letters, digits, '.', '_' and '-' kept, the rest '-'.
 */
export const fileNameOf = (...parts: Array<string | undefined | null | false>) =>
  parts
    .filter((part): part is string => typeof part === 'string' && part !== '')
    .map((part) => part.replace(/[^A-Za-z0-9._-]+/g, '-'))
    .join('_');

/** Every CSV of the service: RFC 4180 with CRLF, a header row, formula cells neutralised, booleans as words. */
function csvOptions<T>(columns: ExportColumn<T>[]) {
  return {
    header: true,
    columns: columns.map((c) => c.header),
    record_delimiter: 'windows' as const,
    escape_formulas: true,
    cast: { boolean: (value: boolean) => (value ? 'true' : 'false') },
  };
}

/** One column of a CSV export: its header and its cell (a number stays a number: `-3` is not a formula). */
export interface ExportColumn<T> {
  header: string;
  cell: (row: T) => string | number | boolean | null;
}

/** EXPORT_MAX_CONCURRENT exports are streaming from this process. */
export class ExportsBusyError extends DomainError {
  readonly code = 'too-many-exports';
  readonly kind = 'unavailable';
  constructor(max: number) {
    super(`This replica already streams its ${max} exports; retry shortly.`);
  }
}

/** An export stopped because its client read nothing for EXPORT_STALL_TIMEOUT_MS (the response is cut, never ended). */
export class ExportStalledError extends Error {
  constructor(ms: number) {
    super(`the client read nothing for ${ms} ms`);
  }
}

/**
 * Caps the exports streaming at once on this process: each holds a database connection (a
 * cursor) for as long as it streams, so a few slow clients must not take the pool that every
 * other request needs.
 */
export class ExportGate {
  private open = 0;
  constructor(readonly max: number) {}

  /** Takes a place, or throws ExportsBusyError; the returned function gives it back (once). */
  enter(): () => void {
    if (this.open >= this.max) throw new ExportsBusyError(this.max);
    this.open++;
    let left = false;
    return () => {
      if (!left) (left = true), this.open--;
    };
  }

  get streaming(): number {
    return this.open;
  }
}

export interface ExportOptions<T> {
  format: ExportFormat;
  /** The download's name without extension (Content-Disposition); ASCII letters, digits, '-', '_' and '.'. */
  fileName: string;
  /** CSV columns, in order; the header row is their headers. */
  columns: ExportColumn<T>[];
  /** The NDJSON line of a row (the object the JSON routes answer). */
  json: (row: T) => unknown;
  gate: ExportGate;
  /** A client that reads nothing for this long loses its export (and gives back its connection). */
  stallTimeoutMs: number;
  /** HEAD: the headers only, no query run. */
  headOnly?: boolean;
}

/**
 * Streams `rows` as a CSV (RFC 4180, CRLF, a header row) or NDJSON download, pulling a row
 * only when the client has taken the previous ones (backpressure end to end: socket → CSV
 * encoder → this generator → the database cursor), so memory stays flat whatever the size.
 *
 * The first row is read before anything is sent, so a query that fails at once (bad database,
 * 503) is answered as an error. A failure after that cannot change the status any more: the
 * response is then cut (the connection destroyed, no terminating chunk of the chunked
 * encoding), so no client mistakes a partial file for a complete one — curl exits with 18,
 * fetch and node's http raise. Text cells that start with = + - @ tab or CR get a leading
 * `'` (OWASP's neutralisation of spreadsheet formulas); numbers are written as numbers.
 */
export async function sendExport<T>(reply: FastifyReply, rows: AsyncIterable<T>, options: ExportOptions<T>): Promise<void> {
  // Set only once the export is sure to start: an error answered instead is no attachment.
  const fileHeaders = () =>
    reply
      .header('content-type', MEDIA_TYPES[options.format])
      .header('content-disposition', `attachment; filename="${options.fileName}.${options.format}"`)
      .header('cache-control', 'no-store')
      .header('x-accel-buffering', 'no');
  if (options.headOnly) return void fileHeaders().send();
  const leave = options.gate.enter();
  let iterator: AsyncIterator<T>;
  let first: IteratorResult<T>;
  try {
    iterator = rows[Symbol.asyncIterator]();
    first = await iterator.next();
  } catch (error) {
    leave();
    throw error;
  }
  /** When the generator last handed over a row that has not been taken yet (null: not waiting for the client). */
  let waitingSince: number | null = null;
  const cells = options.columns.map((c) => c.cell);
  const encode =
    options.format === 'csv' ? (row: T) => cells.map((cell) => cell(row)) : (row: T) => JSON.stringify(options.json(row)) + '\n';
  async function* records(): AsyncGenerator<unknown> {
    try {
      let next = first;
      while (!next.done) {
        waitingSince = Date.now();
        yield encode(next.value);
        waitingSince = null;
        next = await iterator.next();
      }
    } finally {
      // Ends the database cursor when the client went away or the export failed.
      await iterator.return?.();
    }
  }
  const source = Readable.from(records(), { objectMode: true, highWaterMark: 64 });
  let body: Readable = source;
  if (options.format === 'csv') {
    const csv = stringify(csvOptions(options.columns));
    // A failure (or a stall) on either side destroys both: the response is then cut.
    body = pipeline(source, csv, () => undefined);
  }
  const stall = setInterval(() => {
    // Only the client's reading counts: a slow database (a selective filter) is not a stall.
    if (waitingSince !== null && Date.now() - waitingSince > options.stallTimeoutMs) source.destroy(new ExportStalledError(options.stallTimeoutMs));
  }, Math.max(50, Math.min(1000, options.stallTimeoutMs / 4)));
  stall.unref();
  // When the response closes — sent whole, cut, or the client gone (even before the first
  // read: the rows generator then never started, so its own clean-up would not run) — the
  // rows and their cursor stop and the export's place is given back.
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    clearInterval(stall);
    if (!source.destroyed) source.destroy();
    void iterator.return?.();
    leave();
  };
  reply.raw.once('close', stop);
  if (reply.raw.destroyed || reply.request.raw.socket?.destroyed) return stop();
  void fileHeaders().send(body);
}
