import { Module } from '@nestjs/common';
import { TypeOrmUserErasureRepository } from './adapters/persistence/typeorm-user-erasure.repository';
import { EraseUserHandler } from './application/erase-user';
import { UserErasureRepository } from './domain/user-erasure';
import { UsersController } from './ports/http/users.controller';

/**
 * User erasure: one use case that reaches into the tables of tracking, metrics and analytics,
 * so it lives apart from all three, its SQL in one adapter.
 */
@Module({
  controllers: [UsersController],
  providers: [EraseUserHandler, { provide: UserErasureRepository, useClass: TypeOrmUserErasureRepository }],
})
export class ErasureModule {}
