import { Module } from '@nestjs/common';
import { TrackingModule } from '../tracking/tracking.module';
import { MetricsEndpointController } from './metrics-endpoint.controller';
import { Telemetry } from './telemetry';
import { CountDroppedLiveClients, CountIgnoredBotEvents, CountMetricComputations, CountRecordedEvents } from './telemetry.handlers';

/** Prometheus metrics: HTTP (a Fastify hook), events, metric runs and dropped live clients (CQRS events), queue, live-client and pool gauges. */
@Module({
  imports: [TrackingModule],
  controllers: [MetricsEndpointController],
  providers: [Telemetry, CountRecordedEvents, CountMetricComputations, CountDroppedLiveClients, CountIgnoredBotEvents],
  exports: [Telemetry],
})
export class ObservabilityModule {}
