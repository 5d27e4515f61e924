import { DynamicModule, Module } from '@nestjs/common';
import { APP_FILTER, APP_PIPE } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { AppConfig } from './config';
import { HealthModule } from './health/health.module';
import { DatabaseModule, DatabaseModuleOptions } from './shared/database/database.module';
import { ProblemDetailsFilter } from './shared/http/problem-details.filter';
import { DtoValidationPipe } from './shared/http/validate';
import { TrackingModule } from './tracking/tracking.module';

/** The composition root: the one place that decides which modules and adapters run. */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, database: DatabaseModuleOptions = {}): DynamicModule {
    return {
      module: AppModule,
      global: true,
      imports: [
        DatabaseModule.forRoot(config, database),
        CqrsModule.forRoot(),
        TrackingModule,
        HealthModule,
      ],
      providers: [
        { provide: AppConfig, useValue: config },
        { provide: APP_PIPE, useClass: DtoValidationPipe },
        { provide: APP_FILTER, useClass: ProblemDetailsFilter },
      ],
      exports: [AppConfig],
    };
  }
}
