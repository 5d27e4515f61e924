import 'reflect-metadata';
import { Body, Controller, Module, Post, ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import { IsDefined, IsISO8601, IsObject, IsOptional, IsString } from 'class-validator';
import { Column, Entity, PrimaryGeneratedColumn, Repository } from 'typeorm';

/**
 * The naive baseline of `npm run bench:ingest`: what a typical NestJS service looks like —
 * Express adapter, ValidationPipe, one TypeORM `save()` per request. Not part of the service.
 */
@Entity('naive_events')
class NaiveEvent {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column('text') user_id!: string;
  @Column('text') action!: string;
  @Column('timestamptz') timestamp!: Date;
  @Column({ type: 'jsonb', nullable: true }) metadata!: Record<string, unknown> | null;
}

class CreateEventDto {
  @IsDefined() user_id!: string | number;
  @IsString() action!: string;
  @IsOptional() @IsISO8601() timestamp?: string;
  @IsOptional() @IsObject() metadata?: Record<string, unknown>;
}

@Controller('api')
class NaiveController {
  constructor(@InjectRepository(NaiveEvent) private readonly events: Repository<NaiveEvent>) {}

  @Post('event')
  async create(@Body() dto: CreateEventDto) {
    const event = await this.events.save(
      this.events.create({
        user_id: String(dto.user_id),
        action: dto.action,
        timestamp: dto.timestamp ? new Date(dto.timestamp) : new Date(),
        metadata: dto.metadata ?? null,
      }),
    );
    return { id: event.id, status: 'created' };
  }
}

@Module({
  imports: [
    TypeOrmModule.forRoot({ type: 'postgres', url: process.env.DATABASE_URL, entities: [NaiveEvent], synchronize: true }),
    TypeOrmModule.forFeature([NaiveEvent]),
  ],
  controllers: [NaiveController],
})
class NaiveModule {}

async function main() {
  const app = await NestFactory.create(NaiveModule, { logger: ['error'] });
  app.useGlobalPipes(new ValidationPipe());
  await app.listen(Number(process.env.PORT));
  console.log('naive baseline listening');
}

void main();
