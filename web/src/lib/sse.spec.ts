import { EventStreamParser, MinuteCounter } from './sse';

describe('the event-stream parser', () => {
  it('reads events split across chunks at any point', () => {
    const stream = 'retry: 3000\n\n: heartbeat\n\nevent: event\nid: 7\ndata: {"a":1}\n\nevent: event\ndata: {"b":\ndata: 2}\n\n';
    for (let cut = 0; cut < stream.length; cut++) {
      const parser = new EventStreamParser();
      const events = [...parser.push(stream.slice(0, cut)), ...parser.push(stream.slice(cut))];
      expect(events).toEqual([
        { event: 'event', id: '7', data: '{"a":1}' },
        { event: 'event', id: '7', data: '{"b":\n2}' },
      ]);
      expect(parser.retry).toBe(3000);
      expect(parser.comments).toBe(1);
    }
  });

  it('accepts CRLF and CR line ends, and names an event without `event:` "message"', () => {
    const parser = new EventStreamParser();
    expect(parser.push('data: x\r\n\r\ndata: y\r\rdata:z\n')).toEqual([
      { event: 'message', data: 'x', id: undefined },
      { event: 'message', data: 'y', id: undefined },
    ]);
    expect(parser.push('\n')).toEqual([{ event: 'message', data: 'z', id: undefined }]);
  });

  it('waits for the end of an event before giving it', () => {
    const parser = new EventStreamParser();
    expect(parser.push('event: event\ndata: {}\n')).toEqual([]);
    expect(parser.push('\n')).toHaveLength(1);
  });
});

describe('the per-minute counter', () => {
  it('counts events by the minute they arrived, with empty minutes as zero, and forgets old ones', () => {
    const counter = new MinuteCounter(3);
    const t0 = Date.UTC(2026, 10, 30, 12, 0, 10);
    counter.add(t0);
    counter.add(t0 + 30_000, 2);
    counter.add(t0 + 120_000);
    expect(counter.series(t0 + 120_000).map((m) => m.count)).toEqual([3, 0, 1]);
    expect(counter.series(t0 + 240_000).map((m) => m.count)).toEqual([1, 0, 0]);
    counter.add(t0 + 240_000);
    expect(counter.series(t0 + 240_000).map((m) => m.count)).toEqual([1, 0, 1]);
  });
});
