import type { DataSource } from 'typeorm';
import Cursor from 'pg-cursor';
import { ReadDatabase } from './read-database';

/** The slice of node-postgres' pooled client a cursor needs. */
interface PoolClient {
  query<T>(submittable: T): T;
  release(destroy?: boolean | Error): void;
  on(event: 'error', listener: (error: Error) => void): void;
  removeListener(event: 'error', listener: (error: Error) => void): void;
}

/** How many rows each FETCH of the cursor brings (at most this many wait in memory for the consumer). */
export const STREAM_BATCH_ROWS = 500;

/**
 * The rows of one query, read through a server-side cursor (pg-cursor: the extended protocol's
 * portal, `STREAM_BATCH_ROWS` rows per fetch, the next fetch only once the consumer has taken
 * the previous rows), so a result of any size costs constant memory. The query runs on
 * ReadDatabase's choice (a healthy replica, or the primary) over one pooled connection held
 * for the whole iteration, and sees one snapshot. Read to the end, the cursor is closed and
 * the connection goes back to the pool; when the consumer stops early (client gone) or the
 * connection fails, the connection is destroyed instead — no half-read portal reaches another
 * request, and nothing waits on a dead connection (closing the portal of a terminated
 * backend would wait forever for its answer, which is why this does not use pg-query-stream).
 */
export async function* streamRows<R>(reads: ReadDatabase, sql: string, params: unknown[]): AsyncGenerator<R> {
  const client = await reads.read((db: DataSource) => connect(db));
  // A connection that dies while held (a terminated backend, a broken socket) also reports
  // it as an 'error' event of the client, which with no listener would crash the process; the
  // cursor's pending or next read fails with it, and that is how the iteration learns of it.
  const ignore = () => undefined;
  client.on('error', ignore);
  let completed = false;
  try {
    const cursor = client.query(new Cursor<R>(sql, params));
    for (;;) {
      const rows = await cursor.read(STREAM_BATCH_ROWS);
      if (rows.length === 0) break;
      yield* rows;
    }
    await cursor.close();
    completed = true;
  } finally {
    // A connection given back to the pool gets the pool's own listener again; one destroyed keeps
    // this one, for the errors its ending may still raise.
    if (completed) client.removeListener('error', ignore);
    client.release(completed ? undefined : true);
  }
}

function connect(db: DataSource): Promise<PoolClient> {
  const pool = (db.driver as unknown as { master?: { connect(): Promise<PoolClient> } }).master;
  if (!pool) throw new Error('streamRows needs a PostgreSQL data source');
  return pool.connect();
}
