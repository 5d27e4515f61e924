import { DataSource } from 'typeorm';
import { EventWriteQueue } from '../tracking/application/event-write-queue';
import { Telemetry } from './telemetry';

describe('Telemetry', () => {
  it('reports the depth of the event write queue as the tracking_write_queue_events gauge', async () => {
    const queue = new (class extends EventWriteQueue {
      depth = 0;
    })();
    const telemetry = new Telemetry({ driver: {} } as DataSource, queue);
    queue.depth = 1234;
    expect(await telemetry.registry.metrics()).toMatch(/^tracking_write_queue_events 1234$/m);
    queue.depth = 0;
    expect(await telemetry.registry.metrics()).toMatch(/^tracking_write_queue_events 0$/m);
  });
});
