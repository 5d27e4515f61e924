import { Module } from '@nestjs/common';
import { TrackingModule } from '../tracking/tracking.module';
import { MetricsEndpointController } from './metrics-endpoint.controller';
import { Telemetry } from './telemetry';
import { CountMetricComputations, CountRecordedEvents } from './telemetry.handlers';

/** Prometheus metrics: HTTP (a Fastify hook), events and metric runs (CQRS events), queue and pool gauges. */
@Module({
  imports: [TrackingModule],
  controllers: [MetricsEndpointController],
  providers: [Telemetry, CountRecordedEvents, CountMetricComputations],
  exports: [Telemetry],
})
export class ObservabilityModule {}
