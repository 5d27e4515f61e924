import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'events' })
export class EventOrmEntity {
  @PrimaryColumn('uuid')
  id!: string;

  @Column({ name: 'user_id', type: 'text', nullable: true })
  userId!: string | null;

  @Column('text')
  action!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz' })
  occurredAt!: Date;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column('jsonb')
  metadata!: Record<string, unknown>;

  @Column({ name: 'site_id', type: 'text', nullable: true })
  siteId!: string | null;

  @Column({ type: 'text', nullable: true })
  path!: string | null;
}
