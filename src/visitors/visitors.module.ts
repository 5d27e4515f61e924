import { Global, Module } from '@nestjs/common';
import { PgVisitorSalts } from './adapters/persistence/pg-visitor-salts';
import { VisitorSaltUpkeep } from './adapters/persistence/visitor-salt-upkeep';
import { AnonymousVisitors } from './application/anonymous-visitors';
import { VisitorSalts } from './domain/visitor-salts';

/** Anonymous visitor ids (a daily-rotating salted hash, past days' salts deleted within minutes) and bot detection for the browser routes. */
@Global()
@Module({
  providers: [AnonymousVisitors, VisitorSaltUpkeep, { provide: VisitorSalts, useClass: PgVisitorSalts }],
  exports: [AnonymousVisitors],
})
export class VisitorsModule {}
