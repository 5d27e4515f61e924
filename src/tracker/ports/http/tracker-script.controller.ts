import { Controller, Get, Req, Res } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProduces, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DomainError } from '../../../shared/errors';
import { ApiProblems } from '../../../shared/http/api-problems';
import { Public } from '../../../shared/http/route-access';

/**
 * Pages embed /t.js by this unversioned URL, so it cannot be cached for good: an hour, after
 * which the browser revalidates with the ETag (a 304 costs no body). A release reaches every
 * page within the hour.
 */
export const SCRIPT_MAX_AGE_S = 3600;

export interface TrackerScript {
  source: Buffer;
  gzipped: Buffer;
  etag: string;
}

/** dist/tracker/t.js of this checkout or image (npm run build), found from the package root whether running from src/ (tests) or dist/. */
export function loadTrackerScript(from = __dirname): TrackerScript | null {
  for (let dir = from; dir !== dirname(dir); dir = dirname(dir)) {
    if (!existsSync(join(dir, 'package.json'))) continue;
    const file = join(dir, 'dist', 'tracker', 't.js');
    if (!existsSync(file)) return null;
    const source = readFileSync(file);
    return { source, gzipped: gzipSync(source, { level: 9 }), etag: `"${createHash('sha256').update(source).digest('base64url').slice(0, 27)}"` };
  }
  return null;
}

class TrackerNotBuiltError extends DomainError {
  readonly code = 'tracker-not-built';
  readonly kind = 'not_found';
  constructor() {
    super('The tracker script is not built (dist/tracker/t.js is missing): run `npm run build`.');
  }
}

/**
 * GET /t.js: the browser tracker, read once at start and kept in memory with its gzip. A script
 * tag loads it from other sites' pages, so its resource policy is cross-origin (the service's
 * default, same-origin, would make browsers refuse it); it needs no CORS.
 */
@ApiTags('tracker')
@Public()
@Controller()
export class TrackerScriptController {
  private readonly script = loadTrackerScript();

  @Get('t.js')
  @ApiOperation({
    summary: 'The browser tracker: <script defer src="…/t.js" data-site="shop"></script>',
    description:
      'Page views (single-page-app navigation included), track(name, props) and identify(id), sent to POST /api/collect with sendBeacon ' +
      '(fetch keepalive, then XMLHttpRequest, where it is missing or refuses). No cookies, no storage. Under 2 KB gzipped. ' +
      `Cached for ${SCRIPT_MAX_AGE_S} s, then revalidated with its ETag. Public.`,
  })
  @ApiProduces('text/javascript')
  @ApiHeader({ name: 'If-None-Match', required: false, description: 'The ETag of a copy the client holds: 304 when it is current.', schema: { type: 'string', maxLength: 64 } })
  @ApiOkResponse({
    description: 'The script (gzip-encoded when the client accepts it).',
    content: { 'text/javascript': { schema: { type: 'string', maxLength: 65_536 } } },
    headers: {
      ETag: { description: 'Changes with every build of the script.', schema: { type: 'string', maxLength: 64 } },
      'Cache-Control': { description: `public, max-age=${SCRIPT_MAX_AGE_S}`, schema: { type: 'string', maxLength: 64 } },
    },
  })
  @ApiResponse({ status: 304, description: 'The copy named by If-None-Match is current.' })
  @ApiProblems(404, 500)
  serve(@Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    const script = this.script;
    if (!script) throw new TrackerNotBuiltError();
    void reply
      .header('Content-Type', 'text/javascript; charset=utf-8')
      .header('Cache-Control', `public, max-age=${SCRIPT_MAX_AGE_S}`)
      .header('ETag', script.etag)
      .header('Vary', 'Accept-Encoding')
      .header('Cross-Origin-Resource-Policy', 'cross-origin');
    const match = request.headers['if-none-match'];
    if (typeof match === 'string' && match.split(',').some((tag) => tag.trim().replace(/^W\//, '') === script.etag)) {
      void reply.status(304).send();
      return;
    }
    const gzip = /\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''));
    if (gzip) void reply.header('Content-Encoding', 'gzip');
    void reply.status(200).send(gzip ? script.gzipped : script.source);
  }
}
