import { parseKeysArgs } from './keys-args';

describe('keys CLI arguments', () => {
  it('creates the secret scopes as before, without site or origins', () => {
    expect(parseKeysArgs(['create', '--name', 'web', '--scope', 'write'])).toEqual({
      kind: 'create', name: 'web', scope: 'write', site: null, origins: [], json: false,
    });
    expect(parseKeysArgs(['create', '--name=a', '--scope=admin', '--json'])).toMatchObject({ kind: 'create', scope: 'admin', json: true });
  });

  it('creates an ingest key with its site and normalized, de-duplicated origins', () => {
    expect(
      parseKeysArgs([
        'create', '--name', 'site', '--scope', 'ingest', '--site', 'shop',
        '--origin', 'https://Example.com', '--origin=http://localhost:3000/', '--origin', 'https://example.com:443',
      ]),
    ).toEqual({ kind: 'create', name: 'site', scope: 'ingest', site: 'shop', origins: ['https://example.com', 'http://localhost:3000'], json: false });
    expect(parseKeysArgs(['create', '--name', 'site', '--scope', 'ingest', '--site', 'shop'])).toMatchObject({ site: 'shop', origins: [] });
  });

  it('needs --site for an ingest key and refuses it (and --origin) for the other scopes', () => {
    expect(parseKeysArgs(['create', '--name', 's', '--scope', 'ingest'])).toEqual({ kind: 'error', message: expect.stringContaining('needs --site') });
    for (const extra of [['--site', 'shop'], ['--origin', 'https://example.com']]) {
      expect(parseKeysArgs(['create', '--name', 's', '--scope', 'write', ...extra])).toEqual({
        kind: 'error', message: '--site and --origin are only for --scope ingest',
      });
    }
    expect(parseKeysArgs(['create', '--name', 's', '--scope', 'ingest', '--site', 'a', '--site', 'b'])).toEqual({ kind: 'error', message: '--site is given twice' });
    expect(parseKeysArgs(['create', '--name', 's', '--scope', 'ingest', '--site', 'x'.repeat(129)])).toMatchObject({ kind: 'error', message: expect.stringContaining('--site must be') });
    expect(parseKeysArgs(['create', '--name', 's', '--scope', 'ingest', '--site'])).toEqual({ kind: 'error', message: '--site needs a value' });
  });

  it.each([
    'https://example.com/path', 'https://example.com/?q=1', 'https://example.com#x', 'ftp://example.com', 'example.com',
    'https://user:pw@example.com', 'https://', '*', 'null', 'https://exa mple.com',
  ])('refuses the origin %j, naming --origin', (origin) => {
    expect(parseKeysArgs(['create', '--name', 's', '--scope', 'ingest', '--site', 'shop', '--origin', origin])).toEqual({
      kind: 'error', message: expect.stringMatching(/^--origin ".*" is not an origin: write scheme:\/\/host\[:port\]/),
    });
  });

  it('lists the ingest scope among the scopes', () => {
    expect(parseKeysArgs(['create', '--name', 's', '--scope', 'public'])).toEqual({ kind: 'error', message: '--scope must be one of read, write, admin, ingest' });
  });
});
