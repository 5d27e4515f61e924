import 'reflect-metadata';
import { writeFileSync } from 'node:fs';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../src/app.module';
import { loadConfig } from '../src/config';
import { INGEST_ROUTES } from '../src/access/ports/http/ingest-routes';
import { buildOpenApiDocument } from '../src/shared/http/openapi';

/**
 * Writes the OpenAPI document (the one GET /docs-json serves) to the file named by the first
 * argument, or to stdout. Needs no database: the app is created in Nest's preview mode, which
 * reads the module and controller metadata without instantiating any provider.
 */
async function main(): Promise<void> {
  // The document depends on no setting: defaults, and a database URL that is never dialled.
  const config = loadConfig({ DATABASE_URL: 'postgres://openapi@127.0.0.1:1/unused', METRICS_CRON_ENABLED: 'false' });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), new FastifyAdapter(), {
    preview: true,
    logger: false,
    abortOnError: false,
  });
  const json = JSON.stringify(buildOpenApiDocument(app, { ingestRoutes: INGEST_ROUTES.keys() }), null, 2) + '\n';
  const target = process.argv[2];
  if (target) writeFileSync(target, json);
  // A pipe is written asynchronously: wait for it before main() exits the process.
  else await new Promise<void>((resolve, reject) => process.stdout.write(json, (error) => (error ? reject(error) : resolve())));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`error: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
