import { DataSource } from 'typeorm';
import { EventWriteQueue } from '../tracking/application/event-write-queue';
import { LiveEventFeed } from '../tracking/application/live-event-feed';
import { Telemetry } from './telemetry';

class FakeFeed extends LiveEventFeed {
  subscribers = 0;
  subscribe(): Promise<() => void> {
    throw new Error('not used');
  }
}

describe('Telemetry', () => {
  it('reports the depth of the event write queue as the tracking_write_queue_events gauge', async () => {
    const queue = new (class extends EventWriteQueue {
      depth = 0;
    })();
    const telemetry = new Telemetry({ driver: {} } as DataSource, queue, new FakeFeed());
    queue.depth = 1234;
    expect(await telemetry.registry.metrics()).toMatch(/^tracking_write_queue_events 1234$/m);
    queue.depth = 0;
    expect(await telemetry.registry.metrics()).toMatch(/^tracking_write_queue_events 0$/m);
  });

  it('reports the open live streams as the live_clients gauge', async () => {
    const feed = new FakeFeed();
    const telemetry = new Telemetry({ driver: {} } as DataSource, new (class extends EventWriteQueue { depth = 0; })(), feed);
    feed.subscribers = 7;
    expect(await telemetry.registry.metrics()).toMatch(/^live_clients 7$/m);
    expect(await telemetry.registry.metrics()).toMatch(/^live_dropped_total 0$/m);
  });
});
