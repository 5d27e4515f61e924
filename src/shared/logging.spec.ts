import pino from 'pino';
import { loadConfig } from '../config';
import { fastifyLoggerOptions, loggedUrl, redactQueryString } from './logging';

describe('redactQueryString', () => {
  it('returns a URL without a query string unchanged (the same string)', () => {
    const url = '/api/events/0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10';
    expect(redactQueryString(url)).toBe(url);
    const plain = '/api/events?limit=10&user_id=42&cursor=abc';
    expect(redactQueryString(plain)).toBe(plain);
  });

  it.each([
    ['/api/events?api_key=tsk_abc&limit=1', '/api/events?api_key=[REDACTED]&limit=1'],
    ['/api/events?limit=1&key=tsk_abc', '/api/events?limit=1&key=[REDACTED]'],
    ['/x?access_token=abc.def&token=t&password=p&client_secret=s&auth=a&authorization=b', '/x?access_token=[REDACTED]&token=[REDACTED]&password=[REDACTED]&client_secret=[REDACTED]&auth=[REDACTED]&authorization=[REDACTED]'],
    ['/x?apiKey=1&accessToken=2&X-API-KEY=3&session_id=4', '/x?apiKey=[REDACTED]&accessToken=[REDACTED]&X-API-KEY=[REDACTED]&session_id=[REDACTED]'],
    ['/x?api%5Fkey=1&%6Bey=2', '/x?api%5Fkey=[REDACTED]&%6Bey=[REDACTED]'],
    ['/x?q=tsk_abc&note=%74sk_def', '/x?q=[REDACTED]&note=[REDACTED]'],
    ['/x?key', '/x?key=[REDACTED]'],
    ['/x?token=%E0%A4%A&monkey=1&keyboard=2', '/x?token=[REDACTED]&monkey=1&keyboard=2'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactQueryString(url)).toBe(logged);
  });
});

describe('loggedUrl', () => {
  it.each([
    ['/api/users/alice%40example.com', '/api/users/[REDACTED]'],
    ['/api/users/321?key=tsk_abc', '/api/users/[REDACTED]?key=[REDACTED]'],
    ['/api/events?user_id=42', '/api/events?user_id=42'],
  ])('%s is logged as %s (an erased user id never is)', (url, logged) => {
    expect(loggedUrl(url)).toBe(logged);
  });
});

describe('the request logger', () => {
  it('redacts credential headers from any line that carries them', () => {
    const lines: string[] = [];
    const logger = pino(fastifyLoggerOptions(loadConfig({ LOG_LEVEL: 'trace' })), { write: (line: string) => void lines.push(line) });
    const headers = { authorization: 'Bearer tsk_a', 'x-api-key': 'tsk_b', cookie: 'session=c', 'user-agent': 'curl' };
    logger.error({ headers }, 'with headers');
    logger.error({ request: { headers } }, 'nested');
    logger.info({ req: { method: 'GET', url: '/api/events?key=tsk_d', headers } }, 'a request');
    const output = lines.join('');
    expect(output).not.toMatch(/tsk_|session=c/);
    expect(JSON.parse(lines[0]).headers).toEqual({ authorization: '[REDACTED]', 'x-api-key': '[REDACTED]', cookie: '[REDACTED]', 'user-agent': 'curl' });
    expect(JSON.parse(lines[2]).req).toEqual({ method: 'GET', url: '/api/events?key=[REDACTED]' });
  });
});
