import { DataSource } from 'typeorm';
import { ANALYTICS_ROLLUP_PROJECTION } from '../../src/analytics/adapters/persistence/rollups.projection';
import { TypeOrmAnalyticsReadModel } from '../../src/analytics/adapters/persistence/typeorm-analytics.read-model';
import { EventOrmEntity } from '../../src/tracking/adapters/persistence/event.orm-entity';
import { TypeOrmEventRepository } from '../../src/tracking/adapters/persistence/typeorm-event.repository';
import { EventWriteProjections } from '../../src/tracking/application/event-write-projections';
import { TrackedEvent } from '../../src/tracking/domain/tracked-event';
import { openTestDataSource } from './database';

/**
 * What the analytics property tests need: the test database, the event repository writing
 * through the service's rollup projection (as every write does), and the read model over it.
 */
export async function openRollupStore(): Promise<{ db: DataSource; events: TypeOrmEventRepository; analytics: TypeOrmAnalyticsReadModel }> {
  const db = await openTestDataSource([EventOrmEntity]);
  const projections = new EventWriteProjections();
  projections.register(ANALYTICS_ROLLUP_PROJECTION);
  return { db, events: new TypeOrmEventRepository(db.getRepository(EventOrmEntity), projections), analytics: new TypeOrmAnalyticsReadModel(db) };
}

/** Stores the events in batches of `size` (the rollups must not depend on how writes are cut). */
export async function storeInBatches(events: TypeOrmEventRepository, all: TrackedEvent[], size: number): Promise<void> {
  for (let i = 0; i < all.length; i += size) await events.insertNew(all.slice(i, i + size));
}
