import { EventsHandler, IEventHandler } from '@nestjs/cqrs';
import { ActivityMetricsComputed } from '../metrics/application/activity-metrics-computed.event';
import { EventsRecorded } from '../tracking/application/events-recorded.event';
import { LiveClientDropped } from '../tracking/application/live-event-feed';
import { BotEventsIgnored } from '../visitors/application/bot-events-ignored.event';
import { Telemetry } from './telemetry';

@EventsHandler(EventsRecorded)
export class CountRecordedEvents implements IEventHandler<EventsRecorded> {
  constructor(private readonly telemetry: Telemetry) {}

  handle({ created, duplicates, rejected }: EventsRecorded): void {
    if (created) this.telemetry.events.inc({ outcome: 'created' }, created);
    if (duplicates) this.telemetry.events.inc({ outcome: 'duplicate' }, duplicates);
    if (rejected) this.telemetry.events.inc({ outcome: 'rejected' }, rejected);
  }
}

@EventsHandler(ActivityMetricsComputed)
export class CountMetricComputations implements IEventHandler<ActivityMetricsComputed> {
  constructor(private readonly telemetry: Telemetry) {}

  handle({ trigger, windows, durationMs }: ActivityMetricsComputed): void {
    this.telemetry.computations.inc({ trigger });
    this.telemetry.computedWindows.inc({ trigger }, windows);
    this.telemetry.computationDuration.observe({ trigger }, durationMs / 1000);
  }
}

@EventsHandler(LiveClientDropped)
export class CountDroppedLiveClients implements IEventHandler<LiveClientDropped> {
  constructor(private readonly telemetry: Telemetry) {}

  handle(): void {
    this.telemetry.liveDropped.inc();
  }
}

@EventsHandler(BotEventsIgnored)
export class CountIgnoredBotEvents implements IEventHandler<BotEventsIgnored> {
  constructor(private readonly telemetry: Telemetry) {}

  handle({ route, events }: BotEventsIgnored): void {
    this.telemetry.botEventsIgnored.inc({ route }, events);
  }
}
