import { Global, Module } from '@nestjs/common';
import { PgVisitorSalts } from './adapters/persistence/pg-visitor-salts';
import { AnonymousVisitors } from './application/anonymous-visitors';
import { VisitorSalts } from './domain/visitor-salts';

/** Anonymous visitor ids (a daily-rotating salted hash) and bot detection for the browser routes. */
@Global()
@Module({
  providers: [AnonymousVisitors, { provide: VisitorSalts, useClass: PgVisitorSalts }],
  exports: [AnonymousVisitors],
})
export class VisitorsModule {}
