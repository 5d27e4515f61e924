import { parseCliArgs } from './cli-args';

describe('parseCliArgs', () => {
  it('runs without a range by default', () => {
    expect(parseCliArgs([])).toEqual({ kind: 'run', json: false });
    expect(parseCliArgs(['--json'])).toEqual({ kind: 'run', json: true });
  });

  it('reads a range in both spellings', () => {
    const expected = { kind: 'run', json: false, range: { from: new Date('2025-10-23T00:00:00Z'), till: new Date('2025-10-24T00:00:00Z') } };
    expect(parseCliArgs(['--from', '2025-10-23T00:00:00Z', '--till', '2025-10-24T00:00:00Z'])).toEqual(expected);
    expect(parseCliArgs(['--from=2025-10-23T00:00:00Z', '--till=2025-10-24T00:00:00Z'])).toEqual(expected);
  });

  it.each([
    [['--from', '2025-10-23T00:00:00Z']],
    [['--till', '2025-10-23T00:00:00Z']],
    [['--from', '2025-10-23T00:00:00', '--till', '2025-10-24T00:00:00Z']],
    [['--from', '2025-10-257T22:07:00Z', '--till', '2025-10-24T00:00:00Z']],
    [['--from']],
    [['--from', '--json']],
    [['--verbose']],
    [['--from=2025-10-23T00:00:00Z', '--from=2025-10-23T00:00:00Z', '--till=2025-10-24T00:00:00Z']],
  ])('refuses %j', (argv) => {
    expect(parseCliArgs(argv).kind).toBe('error');
  });

  it('shows help', () => {
    expect(parseCliArgs(['--help'])).toEqual({ kind: 'help' });
  });
});
