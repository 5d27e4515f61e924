import { ApiProperty } from '@nestjs/swagger';
import { ActivityWindow } from '../../domain/activity-window';
import { StoredUserActivity, WindowComputation } from '../../domain/activity-metrics.repository';
import { WINDOW_STATUSES, WindowStatus } from '../../domain/window-ledger';
import { WindowView } from '../../application/list-windows';

export class ComputedWindowResponse {
  @ApiProperty({ format: 'date-time', example: '2025-10-23T12:00:00.000Z' })
  window_start!: string;
  @ApiProperty({ format: 'date-time', example: '2025-10-23T16:00:00.000Z' })
  window_end!: string;
  @ApiProperty({ example: 12 })
  users!: number;
  @ApiProperty({ example: 340 })
  events!: number;
  @ApiProperty({ enum: ['computed'] })
  status!: 'computed';

  static from(c: WindowComputation): ComputedWindowResponse {
    return { ...bounds(c.window), users: c.users, events: c.events, status: 'computed' };
  }
}

export class MetricsRunResponse {
  @ApiProperty({ type: [ComputedWindowResponse], description: 'The windows this run computed; empty when there was nothing to do.' })
  windows!: ComputedWindowResponse[];
}

export class UserMetricsResponse {
  @ApiProperty({ example: '321' })
  user_id!: string;
  @ApiProperty({ format: 'date-time', example: '2025-10-23T12:00:00.000Z' })
  window_start!: string;
  @ApiProperty({ format: 'date-time', example: '2025-10-23T16:00:00.000Z' })
  window_end!: string;
  @ApiProperty({ example: 5 })
  event_count!: number;
  @ApiProperty({ example: 2 })
  distinct_actions!: number;
  @ApiProperty({ type: 'object', additionalProperties: { type: 'integer' }, example: { test_action: 4, login: 1 } })
  action_counts!: Record<string, number>;
  @ApiProperty({ format: 'date-time', example: '2025-10-23T13:07:00.000Z' })
  first_event_at!: string;
  @ApiProperty({ format: 'date-time', example: '2025-10-23T15:10:00.000Z' })
  last_event_at!: string;
  @ApiProperty({ example: 2, description: 'A session starts at the first event and after every gap of more than 30 minutes.' })
  session_count!: number;
  @ApiProperty({ example: 1260.5, description: 'Sum over sessions of (last − first event), in seconds.' })
  active_seconds!: number;
  @ApiProperty({ format: 'date-time' })
  computed_at!: string;

  static from(m: StoredUserActivity): UserMetricsResponse {
    return {
      user_id: m.userId,
      ...bounds(m.window),
      event_count: m.eventCount,
      distinct_actions: m.distinctActions,
      action_counts: m.actionCounts,
      first_event_at: m.firstEventAt.toISOString(),
      last_event_at: m.lastEventAt.toISOString(),
      session_count: m.sessionCount,
      active_seconds: m.activeMs / 1000,
      computed_at: m.computedAt.toISOString(),
    };
  }
}

export class UserMetricsPageResponse {
  @ApiProperty({ type: [UserMetricsResponse] })
  data!: UserMetricsResponse[];
  @ApiProperty({ type: 'string', nullable: true })
  next_cursor!: string | null;
}

export class WindowResponse {
  @ApiProperty({ format: 'date-time' })
  window_start!: string;
  @ApiProperty({ format: 'date-time' })
  window_end!: string;
  @ApiProperty({ enum: WINDOW_STATUSES })
  status!: WindowStatus;
  @ApiProperty({ type: 'integer', nullable: true })
  users!: number | null;
  @ApiProperty({ type: 'integer', nullable: true })
  events!: number | null;
  @ApiProperty({ type: 'string', format: 'date-time', nullable: true })
  computed_at!: string | null;
  @ApiProperty({ type: 'string', enum: ['cron', 'http', 'cli'], nullable: true, description: 'Who computed it last.' })
  trigger!: string | null;
  @ApiProperty({ type: 'integer', nullable: true })
  duration_ms!: number | null;

  static from(w: WindowView): WindowResponse {
    const computed = w.computedVersion !== null;
    return {
      ...bounds(w.window),
      status: w.status,
      users: computed ? w.users : null,
      events: computed ? w.events : null,
      computed_at: computed && w.computedAt ? w.computedAt.toISOString() : null,
      trigger: computed ? w.trigger : null,
      duration_ms: computed ? w.durationMs : null,
    };
  }
}

export class WindowPageResponse {
  @ApiProperty({ type: [WindowResponse] })
  data!: WindowResponse[];
  @ApiProperty({ type: 'string', nullable: true })
  next_cursor!: string | null;
}

function bounds(window: ActivityWindow): { window_start: string; window_end: string } {
  return { window_start: window.start.toISOString(), window_end: window.end.toISOString() };
}
