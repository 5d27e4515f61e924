import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CommandBus } from '@nestjs/cqrs';
import { CreateApiKeyCommand } from '../../src/access/application/manage-api-keys';
import { untilFirstMessage } from '../support/sse';
import { startTestApp, TestApp } from '../support/test-app';

/**
 * The HTTPie Desktop collection at the repository root is documentation users run by hand.
 * This keeps it honest: it must cover every route, and every request in it, sent in file
 * order to the real app, must succeed.
 */

interface Param {
  name: string;
  value: string;
  enabled: boolean;
}

interface CollectionRequest {
  name: string;
  url: string;
  method: string;
  headers: Param[];
  queryParams: Param[];
  pathParams: Param[];
  auth: { type: string };
  body: {
    type: string;
    text?: { value: string; format: string };
    json?: { value: string; format: string };
  };
}

interface Collection {
  meta: { format: string; version: string; contentType: string; schema: string; docs: string; source: string };
  entry: {
    name: string;
    auth: { type: string };
    environments?: Array<{ name: string; isDefault?: boolean; variables: Array<{ name: string; value: string }> }>;
    requests: CollectionRequest[];
  };
}

const COLLECTION_FILE = join(__dirname, '..', '..', 'httpie-collection.yaml');

/** Routes outside the OpenAPI document that the collection must also show. */
const UNDOCUMENTED_ROUTES = ['GET /docs-json'];

const UUID_SEGMENT = /\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?=\/|$)/gi;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

const collection = parse(readFileSync(COLLECTION_FILE, 'utf8')) as Collection;
const requests = collection?.entry?.requests ?? [];

/** Variables of the default environment, with BASE_URL pointing at the in-process app. */
function variables(apiKey = ''): Record<string, string> {
  const environments = collection.entry.environments ?? [];
  const chosen = environments.find((environment) => environment.isDefault) ?? environments[0];
  const values: Record<string, string> = {};
  for (const variable of chosen?.variables ?? []) values[variable.name] = variable.value;
  values.BASE_URL = '';
  values.API_KEY = apiKey;
  return values;
}

function substitute(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{\s*([\w.-]+)\s*\}\}/g, (whole, name: string) => (name in values ? values[name] : whole));
}

function routeOf(request: CollectionRequest): string {
  const path = request.url.replace(/^\{\{BASE_URL\}\}/, '').split('?')[0].replace(UUID_SEGMENT, '/{id}');
  return `${request.method.toUpperCase()} ${path}`;
}

function bodyText(request: CollectionRequest): string | undefined {
  switch (request.body.type) {
    case 'none':
      return undefined;
    case 'json':
      return request.body.json?.value;
    case 'text':
      return request.body.text?.value;
    default:
      throw new Error(`${request.name}: body type ${request.body.type} is not supported by this test`);
  }
}

type Outcome = { name: string; status: number; body: unknown; headers: Record<string, string> };

/** Sends every request of the collection, in file order, with these variables. */
async function sendAll(t: TestApp, values: Record<string, string>): Promise<Outcome[]> {
  const outcomes: Outcome[] = [];
  for (const request of requests) {
    const path = substitute(request.url, values);
    expect(path).not.toMatch(/\{\{/);
    let call = t.http()[request.method.toLowerCase() as 'get' | 'post' | 'delete'](path);
    for (const header of request.headers.filter((h) => h.enabled)) {
      call = call.set(header.name, substitute(header.value, values));
    }
    const query: Record<string, string> = {};
    for (const param of request.queryParams.filter((p) => p.enabled)) {
      query[param.name] = substitute(param.value, values);
    }
    if (Object.keys(query).length > 0) call = call.query(query);
    const body = bodyText(request);
    if (body !== undefined) {
      const hasContentType = request.headers.some((h) => h.enabled && h.name.toLowerCase() === 'content-type');
      // HTTPie Desktop sends a JSON body as application/json unless told otherwise.
      if (!hasContentType) call = call.set('Content-Type', 'application/json');
      call = call.send(substitute(body, values));
    }
    const streams = request.headers.some((h) => h.enabled && h.name.toLowerCase() === 'accept' && h.value === 'text/event-stream');
    const response = streams ? await untilFirstMessage(call) : await call;
    outcomes.push({ name: request.name, status: response.status, body: response.body, headers: response.headers });
  }
  return outcomes;
}

describe('httpie-collection.yaml', () => {
  describe('structure', () => {
    it('is an HTTPie collection export', () => {
      expect(collection.meta).toMatchObject({ format: 'httpie', version: '1.0.0', contentType: 'collection' });
      expect(collection.meta.source).toMatch(/^HTTPie Desktop/);
      expect(collection.entry.name).toBe('Tracking Service');
      expect(collection.entry.auth).toEqual({ type: 'none' });
      expect(Array.isArray(requests)).toBe(true);
      expect(requests.length).toBeGreaterThan(0);
    });

    it('defines BASE_URL in its default environment', () => {
      const environment = collection.entry.environments?.find((e) => e.isDefault);
      expect(environment?.variables).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'BASE_URL', value: expect.stringMatching(/^https?:\/\//) })]),
      );
    });

    it.each(requests.map((request) => [request.name, request] as const))('%s is well formed', (_name, request) => {
      expect(request.url.startsWith('{{BASE_URL}}/')).toBe(true);
      expect(request.url).not.toContain('?'); // query strings go in queryParams
      expect(HTTP_METHODS).toContain(request.method);
      for (const list of [request.headers, request.queryParams, request.pathParams]) {
        expect(Array.isArray(list)).toBe(true);
        for (const item of list) {
          expect(item).toEqual({ name: expect.any(String), value: expect.any(String), enabled: expect.any(Boolean) });
        }
      }
      expect(request.auth).toEqual({ type: 'inherited' });
      expect(['json', 'none']).toContain(request.body.type);
      const body = bodyText(request);
      if (body !== undefined) expect(() => JSON.parse(body)).not.toThrow();
    });

    it('has unique request names', () => {
      const names = requests.map((request) => request.name);
      expect(new Set(names).size).toBe(names.length);
    });


    it('holds no timestamp in the future and none that is not a real instant', () => {
      const now = Date.now();
      const texts = requests.flatMap((request) => [
        bodyText(request) ?? '',
        ...request.queryParams.filter((param) => param.enabled).map((param) => param.value),
      ]);
      const instants = texts.join('\n').match(/\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})/g) ?? [];
      expect(instants.length).toBeGreaterThan(0);
      for (const instant of instants) {
        const time = Date.parse(instant);
        expect({ instant, valid: Number.isFinite(time) }).toEqual({ instant, valid: true });
        expect({ instant, inFuture: time > now }).toEqual({ instant, inFuture: false });
      }
    });
  });

  describe('sent to the app, in file order', () => {
    let t: TestApp;

    beforeAll(async () => {
      t = await startTestApp();
      await t.reset();
    });

    afterAll(async () => {
      await t?.close();
    });

    it('covers every route the app documents, so a new route without a request fails here', async () => {
      const doc = (await t.http().get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
      const documented = Object.entries(doc.paths).flatMap(([path, methods]) =>
        Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
      );
      expect(documented.length).toBeGreaterThan(5);
      const covered = requests.map(routeOf);
      // A documented {parameter} matches any one path segment (/api/users/{user_id} ← /api/users/user123).
      const template = (route: string) =>
        new RegExp(`^${route.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{[^}]+\\?\}/g, '[^/]+')}$`);
      const isCovered = (route: string) => covered.some((request) => template(route).test(request));
      expect([...documented, ...UNDOCUMENTED_ROUTES].filter((route) => !isCovered(route))).toEqual([]);
    });

    it('answers every request with a 2xx', async () => {
      const outcomes = await sendAll(t, variables());

      // One line per request, so a failure names every request that broke at once.
      const summary = outcomes.map((o) => `${o.status} ${o.name}`);
      const failed = outcomes.filter((o) => o.status < 200 || o.status > 299);
      expect({ failed: failed.map((o) => ({ name: o.name, status: o.status, body: o.body })), summary }).toEqual({
        failed: [],
        summary,
      });

      const byName = (needle: RegExp) => {
        const found = outcomes.filter((o) => needle.test(o.name));
        expect(found.length).toBeGreaterThan(0);
        return found;
      };

      // The first send of the fixed event_id stores it; the second is reported as a duplicate.
      const [created] = byName(/^Events \/ Record one event$/);
      expect(created.status).toBe(201);
      expect(created.body).toEqual({ id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10', status: 'created' });
      expect(created.headers.location).toBe('/api/events/0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10');

      for (const duplicate of byName(/duplicate/i)) {
        expect(duplicate.status).toBe(200);
        expect(duplicate.body).toEqual({ id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10', status: 'duplicate', content_matches: true });
      }

      // The batch shows per-item results: the invalid item is rejected, its neighbours are not.
      const [batch] = byName(/batch/i);
      expect(batch.body).toMatchObject({ created: 2, duplicates: 1, rejected: 1 });
      const results = (batch.body as { results: Array<{ index: number; status: string; errors?: Array<{ path: string }> }> })
        .results;
      expect(results.map((r) => r.status)).toEqual(['created', 'duplicate', 'rejected', 'created']);
      expect(results[2].errors?.map((e) => e.path)).toEqual(
        expect.arrayContaining(['events[2].action', 'events[2].timestamp']),
      );

      const [one] = byName(/Get one event/);
      expect(one.body).toMatchObject({
        id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10',
        user_id: '321',
        action: 'test_action',
        metadata: { page: '/hello/world' },
        site_id: 'site-abc-123',
        path: '/pricing',
      });

      const [filtered] = byName(/List events \(filtered\)/);
      const ids = (filtered.body as { data: Array<{ id: string }> }).data.map((event) => event.id);
      expect(ids).toEqual(['0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10']);

      const [openApi] = byName(/OpenAPI/);
      expect(openApi.body).toMatchObject({ openapi: expect.stringMatching(/^3\./) });
    });
  });
});

describe('httpie-collection.yaml against a deployment that requires keys (REQUIRE_API_KEYS=true)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ REQUIRE_API_KEYS: 'true' });
    await t.reset();
  });
  afterAll(async () => {
    await t?.reset(); // the key created here must not close the service for later test files
    await t?.close();
  });

  it('sends the API_KEY variable with every request: all 2xx with a key, and 401 without one', async () => {
    const anonymous = await sendAll(t, variables(''));
    const refused = anonymous.filter((o) => o.status === 401).map((o) => o.name);
    expect(refused.length).toBeGreaterThan(requests.length / 2); // everything but the public health routes
    await t.reset();

    const { secret } = await t.app.get(CommandBus).execute(new CreateApiKeyCommand('httpie', 'admin'));
    const outcomes = await sendAll(t, variables(secret));
    expect(outcomes.filter((o) => o.status < 200 || o.status > 299).map((o) => `${o.status} ${o.name}`)).toEqual([]);
  });
});
