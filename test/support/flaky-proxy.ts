import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';
import type { TestApp } from './test-app';

/** What the proxy answers instead of the service while `failNext` > 0. */
export interface InjectedFailure {
  status: number;
  contentType: string;
  body: string;
  /**
   * `after-storing`: the request reaches the service (which stores it) and its answer is lost —
   * the case that makes retries dangerous; `before-service`: refused before reaching it (a load
   * balancer without a healthy upstream).
   */
  when: 'after-storing' | 'before-service';
}

const FORWARDED = ['authorization', 'x-api-key', 'content-type', 'content-encoding', 'user-agent', 'origin'];

const readBody = (req: IncomingMessage) =>
  new Promise<Buffer>((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });

/**
 * The host an SDK under test is pointed at: forwards each request byte for byte to the test app
 * and its answer back, failing the next `failNext` requests as `failure` says, so the SDK's retry
 * (or its absence) is exercised against the real service. Each request is recorded as `record`
 * makes it, with the status the SDK saw.
 */
export class FlakyProxy<A extends object> {
  readonly attempts: Array<A & { path: string; status: number }> = [];
  failNext = 0;
  url = '';
  private server?: Server;

  constructor(
    private readonly app: TestApp,
    private readonly failure: InjectedFailure,
    private readonly record: (req: IncomingMessage) => A,
  ) {}

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    if (this.server) await new Promise((r) => this.server!.close(r));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const attempt = { ...this.record(req), path: req.url ?? '', status: 0 };
    this.attempts.push(attempt);
    const fail = this.failNext > 0;
    if (fail) this.failNext--;
    if (!fail || this.failure.when === 'after-storing') {
      let call = this.app.http().post(req.url ?? '/');
      for (const name of FORWARDED) if (req.headers[name]) call = call.set(name, String(req.headers[name]));
      const answer = await call.serialize((raw: unknown) => raw as string).send(body as unknown as string);
      if (!fail) {
        attempt.status = answer.status;
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
        return;
      }
    }
    attempt.status = this.failure.status;
    res.writeHead(this.failure.status, { 'content-type': this.failure.contentType }).end(this.failure.body);
  }
}
