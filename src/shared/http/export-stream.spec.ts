import { EventEmitter } from 'node:events';
import type { FastifyReply } from 'fastify';
import { answerFileFormatOf, ExportGate, ExportsBusyError, exportFormatOf, sendExport } from './export-stream';

/** A reply whose client is already gone when the export's first row arrives. */
function goneReply() {
  const raw = Object.assign(new EventEmitter(), { destroyed: true });
  const reply = { raw, request: { raw: { socket: { destroyed: true } } }, header: () => reply, send: jest.fn() };
  return reply;
}

describe('sendExport', () => {
  it('gives back its place and ends the rows when the client left before the first row came', async () => {
    const gate = new ExportGate(1);
    let returned = false;
    const rows: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => ({ done: false, value: 1 }),
        return: async () => ((returned = true), { done: true, value: undefined }),
      }),
    };
    const reply = goneReply();
    await sendExport(reply as unknown as FastifyReply, rows, {
      format: 'csv', fileName: 'x', columns: [{ header: 'n', cell: (n) => n }], json: (n) => n, gate, stallTimeoutMs: 1000,
    });
    expect(returned).toBe(true);
    expect(gate.streaming).toBe(0);
    expect(reply.send).not.toHaveBeenCalled();
  });

  it('refuses beyond its cap, and a failed first read gives the place back', async () => {
    const gate = new ExportGate(1);
    const failing: AsyncIterable<number> = { [Symbol.asyncIterator]: () => ({ next: () => Promise.reject(new Error('db down')) }) };
    const options = { format: 'csv' as const, fileName: 'x', columns: [], json: (n: number) => n, gate, stallTimeoutMs: 1000 };
    await expect(sendExport(goneReply() as unknown as FastifyReply, failing, options)).rejects.toThrow('db down');
    expect(gate.streaming).toBe(0);
    const leave = gate.enter();
    expect(() => gate.enter()).toThrow(ExportsBusyError);
    leave();
    leave();
    expect(gate.streaming).toBe(0);
  });
});

describe('formats', () => {
  it('reads format first, then Accept; exports default to CSV, answers to JSON', () => {
    expect(exportFormatOf('ndjson', 'text/csv')).toBe('ndjson');
    expect(exportFormatOf(undefined, 'application/x-ndjson, text/csv')).toBe('ndjson');
    expect(exportFormatOf(undefined, '*/*')).toBe('csv');
    expect(() => exportFormatOf('xlsx', undefined)).toThrow(/format/);
    expect(answerFileFormatOf(undefined, 'application/json, text/csv')).toBeUndefined();
    expect(answerFileFormatOf(undefined, 'text/csv')).toBe('csv');
    expect(answerFileFormatOf('json', 'text/csv')).toBeUndefined();
    expect(answerFileFormatOf('ndjson', undefined)).toBe('ndjson');
  });
});
