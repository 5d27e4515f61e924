import { createEvent, MAX_FUTURE_SKEW_MS } from './tracked-event';

const receivedAt = new Date('2025-10-23T13:07:10.000Z');
const newId = () => '00000000-0000-7000-8000-000000000001';

describe('createEvent', () => {
  it('stores the client timestamp as is when no sent_at is given', () => {
    const result = createEvent({ userId: '321', action: 'a', timestamp: new Date('2025-10-23T13:07:00Z') }, receivedAt, newId);
    expect(result.ok && result.event.occurredAt.toISOString()).toBe('2025-10-23T13:07:00.000Z');
  });

  it('defaults the time to the moment of receipt', () => {
    const result = createEvent({ userId: '321', action: 'a' }, receivedAt, newId);
    expect(result.ok && result.event.occurredAt).toEqual(receivedAt);
    expect(result.ok && result.event.receivedAt).toEqual(receivedAt);
  });

  it('cancels a wrong client clock with sent_at: received − (sent − timestamp)', () => {
    // The client clock is an hour fast: it says the event happened 2 s before sending.
    const result = createEvent(
      { userId: '1', action: 'a', timestamp: new Date('2025-10-23T14:07:00Z'), sentAt: new Date('2025-10-23T14:07:02Z') },
      receivedAt,
      newId,
    );
    expect(result.ok && result.event.occurredAt.toISOString()).toBe('2025-10-23T13:07:08.000Z');
  });

  it('accepts a timestamp exactly 10 minutes ahead and refuses one a millisecond more', () => {
    const edge = new Date(receivedAt.getTime() + MAX_FUTURE_SKEW_MS);
    expect(createEvent({ userId: '1', action: 'a', timestamp: edge }, receivedAt, newId).ok).toBe(true);
    const beyond = createEvent({ userId: '1', action: 'a', timestamp: new Date(edge.getTime() + 1) }, receivedAt, newId);
    expect(beyond).toEqual({ ok: false, errors: [{ path: 'timestamp', message: expect.stringContaining('10 minutes') }] });
  });

  it('applies the future guard after the clock correction', () => {
    // Timestamp in the past by the client clock, but sent_at says the event is 20 min after sending.
    const result = createEvent(
      { userId: '1', action: 'a', timestamp: new Date('2025-10-23T10:20:00Z'), sentAt: new Date('2025-10-23T10:00:00Z') },
      receivedAt,
      newId,
    );
    expect(result.ok).toBe(false);
  });

  it('keeps the client id (lower-cased) or generates one; fills optional fields', () => {
    const kept = createEvent({ eventId: 'ABCDEF00-0000-4000-8000-000000000000', userId: '1', action: 'a' }, receivedAt, newId);
    expect(kept.ok && kept.event.id).toBe('abcdef00-0000-4000-8000-000000000000');
    const generated = createEvent({ userId: '1', action: 'a' }, receivedAt, newId);
    expect(generated.ok && generated.event).toMatchObject({ id: newId(), metadata: {}, siteId: null, path: null });
  });
});
