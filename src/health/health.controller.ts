import { Controller, Get, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { ApiProblems } from '../shared/http/api-problems';
import { RETRY_AFTER_SECONDS } from '../shared/http/problem-details.filter';
import { HealthReportResponse, LiveResponse } from './health.responses';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorResult,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { InjectDataSource } from '@nestjs/typeorm';
import type { FastifyReply } from 'fastify';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../../migrations';
import { ApiKeyAuthenticator } from '../access/application/api-key-authenticator';
import { AppConfig } from '../config';
import { Public } from '../shared/http/route-access';
import { ReadDatabase } from '../shared/database/read-database';

/**
 * How long a readiness answer is reused. The route is public, so without this every call
 * would cost database round trips; with it a flood costs one check per interval, and an
 * outage still turns it 503 within about this long (plus the check's own timeout).
 */
export const READY_CACHE_MS = 1000;

interface Readiness {
  status: 200 | 503;
  report: HealthCheckResult;
}

@ApiTags('operations')
@Public()
@Controller('health')
export class HealthController {
  /** The last (or in-flight) check: callers within READY_CACHE_MS of its start share it. */
  private readiness: { startedAt: number; answer: Promise<Readiness> } | null = null;

  constructor(
    private readonly health: HealthCheckService,
    private readonly db: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly access: ApiKeyAuthenticator,
    private readonly config: AppConfig,
    private readonly reads: ReadDatabase,
  ) {}

  @Get('live')
  @ApiOperation({ summary: 'Liveness: the process is up (never touches the database)', description: 'Public.' })
  @ApiOkResponse({ type: LiveResponse })
  @ApiProblems(500)
  live(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @HealthCheck({ swaggerDocumentation: false })
  @ApiOperation({
    summary: 'Readiness: the database answers and every migration is applied',
    description: 'Public. Also says whether the service is open (no API key exists yet) or needs keys.',
  })
  @ApiOkResponse({ type: HealthReportResponse })
  @ApiResponse({
    status: 503,
    type: HealthReportResponse,
    description: 'Not ready; the body says which check failed.',
    headers: { 'Retry-After': { description: 'Seconds to wait before retrying.', required: true, schema: { type: 'integer', format: 'int32', minimum: 0, maximum: 86_400 } } },
  })
  @ApiProblems(500)
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    const now = Date.now();
    if (!this.readiness || now - this.readiness.startedAt >= READY_CACHE_MS) {
      const answer = this.check();
      this.readiness = { startedAt: now, answer };
      // An unexpected failure is not reused: the next call checks again.
      answer.catch(() => {
        if (this.readiness?.answer === answer) this.readiness = null;
      });
    }
    const { status, report } = await this.readiness.answer;
    if (status === 503) void reply.status(503).header('Retry-After', String(RETRY_AFTER_SECONDS));
    return report;
  }

  private async check(): Promise<Readiness> {
    try {
      const report = await this.health.check([
        () => this.db.pingCheck('database', { connection: this.dataSource, timeout: 1000 }),
        () => this.schemaCheck(),
        () => this.accessCheck(),
        ...(this.reads.configured ? [() => this.replicasCheck()] : []),
      ]);
      return { status: 200, report };
    } catch (error) {
      // Terminus throws a 503 carrying the per-check report; answer it as is.
      const report = (error as { getResponse?: () => HealthCheckResult }).getResponse?.();
      if (!report) throw error;
      return { status: 503, report };
    }
  }

  /** Says whether the service is open to anyone (no API key yet), and which routes OPEN_WRITE_ROUTES opens — up either way. */
  private async accessCheck(): Promise<HealthIndicatorResult> {
    const mode = await this.access.mode();
    return this.indicators.check('access').up({
      mode,
      ...(mode === 'open' ? { warning: 'no API key exists: every route is open; create one with npm run keys' } : {}),
      ...(mode === 'keys' && this.config.openWriteRoutes.length > 0 ? { open_write_routes: this.config.openWriteRoutes } : {}),
    });
  }

  /**
   * The read replicas (DATABASE_READ_URLS): each one's state and lag. Always up — a replica
   * that is down or behind only sends reads to the primary, which the database check covers.
   */
  private replicasCheck(): HealthIndicatorResult {
    const replicas = this.reads.status();
    const serving = replicas.filter((r) => r.state === 'healthy').length;
    return this.indicators.check('replicas').up({
      reads_from: serving > 0 ? 'replicas' : 'primary',
      max_lag_ms: this.config.readMaxLagMs,
      replicas: replicas.map((r) => ({
        name: r.name,
        state: r.state,
        lag_ms: r.lagMs,
        lag_bytes: r.lagBytes,
        ...(r.error ? { error: r.error } : {}),
        checked_at: r.checkedAt?.toISOString() ?? null,
      })),
    });
  }

  private async schemaCheck(): Promise<HealthIndicatorResult> {
    const indicator = this.indicators.check('schema');
    try {
      const rows: Array<{ name: string }> = await this.dataSource.query('SELECT name FROM schema_migrations');
      const applied = new Set(rows.map((row) => row.name));
      const pending = MIGRATIONS.map((migration) => migration.name).filter((name) => !applied.has(name));
      return pending.length === 0 ? indicator.up() : indicator.down({ pending });
    } catch {
      return indicator.down({ message: 'schema not readable' });
    }
  }
}
