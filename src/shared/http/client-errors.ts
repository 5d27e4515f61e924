import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { DomainError } from '../errors';

/** HTTP/1.1 requires a Host header (RFC 9112 §3.2). */
export class MissingHostError extends DomainError {
  readonly code = 'missing-host';
  readonly kind = 'invalid';
  constructor() {
    super('The request has no Host header, which HTTP/1.1 requires.');
  }
}

const STATUS_OF: Record<string, number> = {
  ERR_HTTP_REQUEST_TIMEOUT: 408,
  HPE_HEADER_OVERFLOW: 431,
};

const DETAIL_OF: Record<number, string> = {
  400: 'The request is not valid HTTP/1.1 (a Host header, the request line and the headers are required).',
  408: 'The request (headers and body) was not received in time; send it again.',
  431: 'The request headers are too large.',
};

/**
 * Errors Node meets before a request exists (malformed HTTP, a body that arrives too slowly,
 * oversized headers): answered as problem details like every other error, then the
 * connection is closed, since its state is unknown.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = STATUS_OF[error.code ?? ''] ?? 400;
  const body = JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status], status, detail: DETAIL_OF[status] });
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
