import { execFileSync } from 'node:child_process';
import Ajv, { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { CommandBus } from '@nestjs/cqrs';
import type { Response } from 'supertest';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { untilFirstMessage } from '../support/sse';
import { TcpProxy } from '../support/tcp-proxy';
import { startTestApp, TestApp, truncateAll } from '../support/test-app';

/**
 * The OpenAPI document served at /docs-json is held to what the service does: every operation
 * is called with its documented examples (in document order, so that later examples read what
 * earlier ones wrote), then with invalid variants, then without and with the wrong API key,
 * then over its rate limit; every response must be documented for that operation — status,
 * media type, body (JSON-schema validated with ajv) and required headers.
 *
 * ajv (with ajv-formats) because it is the standard JSON-schema validator, already in the tree,
 * and it understands OpenAPI 3.0's `nullable`; the document's schemas are used as they are,
 * only their `$ref`s are pointed at the document.
 */

type Schema = Record<string, unknown>;
interface Parameter { name: string; in: string; required?: boolean; schema?: Schema; example?: unknown }
interface MediaType { schema?: Schema; example?: unknown; examples?: Record<string, { value: unknown }> }
interface ResponseSpec { description: string; content?: Record<string, MediaType>; headers?: Record<string, Schema> }
interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content: Record<string, MediaType> };
  responses: Record<string, ResponseSpec>;
  security?: unknown[];
  tags?: string[];
}
interface Document { paths: Record<string, Record<string, Operation>>; components: Record<string, Record<string, Schema>> }
interface Op { method: string; path: string; op: Operation }

let t: TestApp;
let doc: Document;
let ajv: Ajv;
const validators = new Map<string, ValidateFunction>();
const mismatches: string[] = [];
const exampleStatuses: string[] = [];

beforeAll(async () => {
  t = await startTestApp();
  await truncateAll(t.db);
  doc = (await t.http().get('/docs-json').expect(200)).body as Document;
  ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  // Response objects are held closed: a field the document does not name is a mismatch too.
  const components = JSON.parse(JSON.stringify({ components: doc.components }).replaceAll('"#/components/', '"doc#/components/'));
  closeObjects(components);
  ajv.addSchema(components, 'doc');
}, 60_000);

afterAll(async () => {
  await t?.close();
});

/** Sets additionalProperties: false on every schema that lists properties and says nothing else. */
function closeObjects(node: unknown): void {
  if (typeof node !== 'object' || node === null) return;
  const schema = node as Schema;
  if (schema.properties && typeof schema.properties === 'object' && schema.additionalProperties === undefined) schema.additionalProperties = false;
  for (const value of Object.values(schema)) closeObjects(value);
}

function operations(): Op[] {
  return Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({ method: method.toUpperCase(), path, op })),
  );
}

function resolve<T>(value: T): T {
  const ref = (value as { $ref?: string } | undefined)?.$ref;
  if (!ref) return value;
  const [, , kind, name] = ref.split('/');
  return resolve(doc.components[kind][name] as T);
}

function validatorFor(schema: Schema): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    const copy = JSON.parse(key.replaceAll('"#/components/', '"doc#/components/'));
    closeObjects(copy);
    validate = ajv.compile(copy);
    validators.set(key, validate);
  }
  return validate;
}

/** The document's example value of a schema: its own example, or one built from its properties. */
function exampleOf(schema: Schema | undefined): unknown {
  const s = resolve(schema);
  if (!s) return undefined;
  if (s.example !== undefined) return s.example;
  if (s.properties) {
    const out: Record<string, unknown> = {};
    for (const [name, property] of Object.entries(s.properties as Record<string, Schema>)) {
      const value = exampleOf(property);
      if (value !== undefined) out[name] = value;
    }
    return out;
  }
  if (s.type === 'array') {
    const item = exampleOf(s.items as Schema);
    return item === undefined ? undefined : [item];
  }
  return undefined;
}

function bodyExample(op: Operation): unknown {
  const media = op.requestBody?.content['application/json'];
  if (!media) return undefined;
  if (media.examples) return Object.values(media.examples)[0].value;
  return media.example ?? exampleOf(media.schema);
}

interface Call { path?: Record<string, string>; query?: Record<string, string>; body?: unknown; raw?: { type: string; data: string }; headers?: Record<string, string> }

function exampleCall(op: Operation): Call {
  const path: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const p of op.parameters ?? []) {
    const example = p.example ?? p.schema?.example;
    if (example === undefined) {
      if (p.required) throw new Error(`${op.operationId}: required parameter ${p.name} has no example`);
      continue;
    }
    (p.in === 'path' ? path : query)[p.name] = String(example);
  }
  return { path, query, body: bodyExample(op) };
}

async function send(o: Op, call: Call): Promise<Response> {
  const url = o.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(call.path?.[name] ?? exampleCall(o.op).path![name]));
  let req = t.http()[o.method.toLowerCase() as 'get' | 'post'](url).query(call.query ?? {});
  for (const [name, value] of Object.entries(call.headers ?? {})) req = req.set(name, value);
  if (call.raw) return req.set('Content-Type', call.raw.type).send(call.raw.data);
  if (isEventStream(o)) return untilFirstMessage(req);
  return call.body === undefined ? req : req.send(call.body as object);
}

/** An operation whose success is a server-sent event stream, which never ends by itself. */
function isEventStream(o: Op): boolean {
  return Boolean(resolve(o.op.responses['200'])?.content?.['text/event-stream']);
}

/** Every way the response differs from the document (empty when it matches). */
function problemsOf(o: Op, res: Response): string[] {
  const where = `${o.method} ${o.path} ${res.status}`;
  const spec = resolve(o.op.responses[String(res.status)] ?? o.op.responses[`${String(res.status)[0]}XX`] ?? o.op.responses.default);
  if (!spec) return [`${where}: status not documented (body ${res.text.slice(0, 200)})`];
  const problems: string[] = [];
  const mediaType = String(res.headers['content-type'] ?? '').split(';')[0].trim();
  if (!spec.content) {
    if (res.text) problems.push(`${where}: documented without a body, got ${mediaType} ${res.text.slice(0, 200)}`);
  } else if (!spec.content[mediaType]) {
    problems.push(`${where}: unexpected media type ${mediaType || '(none)'} (documented: ${Object.keys(spec.content).join(', ')}) ${res.text.slice(0, 200)}`);
  } else {
    const schema = spec.content[mediaType].schema;
    if (schema) {
      const body = mediaType.endsWith('json') ? JSON.parse(res.text) : res.text;
      const validate = validatorFor(schema);
      if (!validate(body)) problems.push(`${where}: body ${res.text.slice(0, 300)} does not match: ${ajv.errorsText(validate.errors)}`);
    }
  }
  for (const [name, header] of Object.entries(spec.headers ?? {})) {
    const h = resolve(header) as { required?: boolean; schema?: Schema };
    const value = res.headers[name.toLowerCase()] as string | undefined;
    if (value === undefined) {
      if (h.required) problems.push(`${where}: required header ${name} missing`);
      continue;
    }
    if (h.schema) {
      const typed = h.schema.type === 'integer' || h.schema.type === 'number' ? Number(value) : value;
      if (!validatorFor(h.schema)(typed)) problems.push(`${where}: header ${name}: ${value} does not match its schema`);
    }
  }
  return problems;
}

async function check(o: Op, call: Call, expectation?: (status: number) => boolean, label = ''): Promise<Response> {
  const res = await send(o, call);
  mismatches.push(...problemsOf(o, res));
  if (expectation && !expectation(res.status)) mismatches.push(`${o.method} ${o.path} ${label}: unexpected status ${res.status} ${res.text.slice(0, 200)}`);
  return res;
}

const isClientError = (s: number) => s >= 400 && s < 500;

const unexplained = (since: number) => mismatches.slice(since);

describe('the OpenAPI document against the live service', () => {
  it('serves the document that npm run lint:openapi lints (cmd/openapi.ts, no database)', () => {
    const written = JSON.parse(execFileSync(process.execPath, ['dist/cmd/openapi.js'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }));
    expect(written).toEqual(doc);
  });

  it('documents the compat routes, health and the window ledger as they are', () => {
    const byRoute = Object.fromEntries(operations().map((o) => [`${o.method} ${o.path}`, o.op]));
    for (const route of ['POST /v1/user/login', 'POST /api/ingestion/event', 'POST /event']) {
      expect(`${route}: ${JSON.stringify(byRoute[route].requestBody?.content['application/json']?.schema)}`).toMatch(/\$ref/);
    }
    for (const [route, params] of Object.entries({
      'GET /v1/user/uniques/daily': ['date'],
      'GET /v1/user/uniques/monthly': ['month'],
      'GET /api/reporting/stats': ['site_id'],
      'GET /api/analytics/summary': ['from', 'to'].sort(),
      'GET /stats': ['site_id'],
    })) {
      expect([route, byRoute[route].parameters!.filter((p) => p.required).map((p) => p.name).sort()]).toEqual([route, params]);
    }
    // Public routes (derived from @Public()) carry no security requirement; all others the global one.
    const publicRoutes = operations().filter((o) => Array.isArray(o.op.security) && o.op.security.length === 0).map((o) => `${o.method} ${o.path}`);
    expect(publicRoutes.sort()).toEqual(['GET /api/healthcheck', 'GET /health', 'GET /health/live', 'GET /health/ready', 'GET /t.js']);
    const trigger = resolve(doc.components.schemas.WindowResponse).properties as Record<string, Schema>;
    expect(validatorFor(trigger.trigger)(null)).toBe(true);
    expect(validatorFor(trigger.trigger)('cron')).toBe(true);
    expect(validatorFor(trigger.trigger)('other')).toBe(false);
  });

  it('answers every documented example, in order, as documented (later examples read what earlier ones wrote)', async () => {
    const since = mismatches.length;
    for (const o of operations()) {
      const res = await check(o, exampleCall(o.op), (s) => s < 300, 'example');
      exampleStatuses.push(`${o.method} ${o.path} ${res.status}`);
    }
    // The chain: the event POST /api/event created is what GET /api/events/{id} reads, and the
    // backfill of POST /api/metrics is what the metrics and ledger examples list.
    expect(exampleStatuses).toEqual(
      expect.arrayContaining(['POST /api/event 201', 'GET /api/events/{id} 200', 'GET /api/metrics 200', 'GET /api/events/live 200']),
    );
    const metrics = await t.http().get('/api/metrics').query({ from: '2025-10-23T00:00:00Z', till: '2025-10-24T00:00:00Z' });
    expect(metrics.body.data.length).toBeGreaterThan(0);
    const windows = await t.http().get('/api/metrics/windows').query({ from: '2025-10-23T00:00:00Z', till: '2025-10-24T00:00:00Z' });
    expect(windows.body.data[0]).toMatchObject({ status: 'computed', trigger: 'http' });
    expect(unexplained(since)).toEqual([]);
  }, 120_000);

  it('answers invalid input with a documented client error', async () => {
    const since = mismatches.length;
    for (const o of operations()) {
      const example = exampleCall(o.op);
      for (const p of o.op.parameters ?? []) {
        if (p.in === 'path') {
          // A value its schema refuses: not a UUID, or one character too long.
          const max = p.schema?.maxLength as number | undefined;
          const invalid = p.schema?.format === 'uuid' ? 'not-a-uuid' : max !== undefined ? 'x'.repeat(max + 1) : undefined;
          if (invalid !== undefined) await check(o, { ...example, path: { ...example.path, [p.name]: invalid } }, isClientError, `path ${p.name}`);
          // Only an operation that documents 404 must find nothing under an unknown value
          // (DELETE /api/users/{user_id} is idempotent: 200 with zeros).
          if (o.op.responses['404']) {
            await check(o, { ...example, path: { ...example.path, [p.name]: '00000000-0000-4000-8000-000000000000' } }, (s) => s === 404, `unknown ${p.name}`);
          }
          continue;
        }
        if (p.required) {
          const query = { ...example.query };
          delete query[p.name];
          await check(o, { ...example, query }, isClientError, `without ${p.name}`);
        }
        const s = p.schema ?? {};
        if (s.format || s.type === 'integer' || s.enum || s.pattern) {
          await check(o, { ...example, query: { ...example.query, [p.name]: 'not-valid' } }, isClientError, `${p.name}=not-valid`);
        }
      }
      if (o.op.requestBody) {
        const required = (resolve(o.op.requestBody.content['application/json'].schema) as { required?: string[] })?.required ?? [];
        if (required.length > 0) await check(o, { ...example, body: {} }, isClientError, 'empty object');
        await check(o, { ...example, body: [] }, isClientError, 'array body');
        const closed = (resolve(o.op.requestBody.content['application/json'].schema) as { additionalProperties?: boolean })?.additionalProperties === false;
        await check(o, { ...example, body: { ...(example.body as object), unknown_field: 1 } }, closed ? isClientError : (s) => s < 300, 'unknown field');
        await check(o, { ...example, raw: { type: 'application/json', data: '{"site_id": ' } }, isClientError, 'broken JSON');
        // A route documented to take text/plain reads it as JSON (sendBeacon): 'hello' is then bad
        // JSON, answered in the route's own shape (400, or 422 for seed 004's route); the others 415.
        const readsText = 'text/plain' in o.op.requestBody.content;
        await check(o, { ...example, raw: { type: 'text/plain', data: 'hello' } }, (s) => (readsText ? s === 400 || s === 422 : s === 415), 'text/plain');
        // Segment's API answers an oversized body with 400 (which its SDKs do not retry), not 413.
        const tooLarge = o.op.tags?.includes('compat: segment') ? 400 : 413;
        await check(o, { ...example, raw: { type: 'application/json', data: JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }) } }, (s) => s === tooLarge, '6 MiB');
      }
    }
    expect(unexplained(since)).toEqual([]);
  }, 180_000);

  it('answers without a key, and with a key of the wrong scope, as documented', async () => {
    const since = mismatches.length;
    const commands = t.app.get(CommandBus);
    const { secret: readKey } = await commands.execute(new CreateApiKeyCommand('contract-read', 'read'));
    const { secret: writeKey } = await commands.execute(new CreateApiKeyCommand('contract-write', 'write'));
    // The service learns within seconds that keys now exist (it caches whether it is open).
    for (let i = 0; i < 100 && (await t.http().get('/api/events')).status !== 401; i++) await new Promise((r) => setTimeout(r, 200));
    try {
      for (const o of operations()) {
        const example = exampleCall(o.op);
        const isPublic = Array.isArray(o.op.security) && o.op.security.length === 0;
        await check(o, example, (s) => (isPublic ? s < 300 : s === 401), 'without a key');
        await check(o, { ...example, headers: { Authorization: 'Bearer tsk_not-a-real-key' } }, (s) => (isPublic ? s < 300 : s === 401), 'unknown key');
        const wrongScope = o.method === 'GET' ? writeKey : readKey;
        // A route any valid key may use (x-any-scope: GET /api/access) has no wrong scope.
        const anyScope = (o.op as unknown as Record<string, unknown>)['x-any-scope'] === true;
        await check(o, { ...example, headers: { 'X-API-Key': wrongScope } }, (s) => (isPublic || anyScope ? s < 300 : s === 403), 'wrong scope');
      }
    } finally {
      await t.db.query('TRUNCATE api_keys');
    }
    expect(unexplained(since)).toEqual([]);
  }, 120_000);

  it('answers over the rate limit as documented', async () => {
    const since = mismatches.length;
    const limited = await startTestApp({ RATE_LIMIT_READ: '1', RATE_LIMIT_WRITE: '1', RATE_LIMIT_ADMIN: '1' });
    const main = t;
    try {
      t = limited;
      for (const o of operations()) {
        const isPublic = Array.isArray(o.op.security) && o.op.security.length === 0;
        if (isPublic) continue;
        const example = exampleCall(o.op);
        // Sent together, so that the three fall in one second however long the route takes (Citus).
        const statuses = (await Promise.all([0, 1, 2].map(() => check(o, example)))).map((r) => r.status);
        if (!statuses.includes(429)) mismatches.push(`${o.method} ${o.path}: no 429 within 3 requests at 1/s (${statuses.join(', ')})`);
      }
    } finally {
      t = main;
      await limited.close();
    }
    expect(unexplained(since)).toEqual([]);
  }, 120_000);

  it('answers while the database is unreachable as documented (503 with Retry-After)', async () => {
    const since = mismatches.length;
    const proxy = TcpProxy.forUrl(process.env.DATABASE_URL!);
    await proxy.start();
    const cut = await startTestApp({ DATABASE_URL: proxy.rewrite(process.env.DATABASE_URL!) });
    const main = t;
    try {
      t = cut;
      await proxy.cut();
      for (const o of operations()) {
        const res = await check(o, exampleCall(o.op));
        // Routes that need the database say so (liveness, the compat health checks, /metrics and the
        // validation of an event need none while the service is open; /api/access answers from the
        // authenticator's two-second cache of whether any key exists; /t.js is a file in memory).
        if (res.status < 300 && !['/health/live', '/health', '/api/healthcheck', '/metrics', '/api/event/validate', '/api/access', '/t.js'].includes(o.path)) {
          mismatches.push(`${o.method} ${o.path}: answered ${res.status} without a database`);
        }
      }
    } finally {
      t = main;
      await proxy.restore();
      await cut.close();
      await proxy.stop();
    }
    expect(unexplained(since)).toEqual([]);
  }, 120_000);
});
