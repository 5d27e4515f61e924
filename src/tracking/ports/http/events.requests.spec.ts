import fc from 'fast-check';
import { validateByDecorators } from '../../../shared/http/validate';
import { RecordEventDto } from './events.requests';

/**
 * RecordEventDto.isPlainlyValid is a shortcut past class-validator: it must never accept an
 * event that the decorators reject. Random events, mostly near the edges of every rule.
 */
const text = fc.oneof(
  fc.string({ maxLength: 5 }),
  fc.string({ minLength: 95, maxLength: 135 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('', ' ', 'a', '\u0000', '\ud800', '\ufe0f', 'x'.repeat(100), 'x'.repeat(101), 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(2048), 'x'.repeat(2049)),
);
const instant = fc.oneof(
  fc.constantFrom('2025-10-23T13:07:00Z', '2025-10-23T13:07:00', '2025-10-257T22:07:00Z', '2025-02-29T00:00:00Z', '2024-02-29T23:59:59.999+14:00', 'now', ''),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);
const anything = fc.oneof(fc.constant(null), fc.boolean(), fc.double(), fc.integer(), text, fc.array(fc.integer(), { maxLength: 2 }), fc.object({ maxDepth: 1 }));
const mostly = <T>(valid: fc.Arbitrary<T>, other: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary: valid, weight: 5 }, { arbitrary: other, weight: 1 });
const printable = (min: number, max: number) => fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: min, maxLength: max });
const value = {
  event_id: mostly(fc.uuid(), fc.oneof(fc.uuid(), fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff', 'ABCDEF00-0000-4000-8000-000000000000', '1234'), anything)),
  user_id: mostly(fc.oneof(printable(1, 128), fc.integer()), fc.oneof(text, fc.constantFrom(2 ** 53, -(2 ** 53), 1.5, 0, -1), anything)),
  action: mostly(printable(1, 100), fc.oneof(text, anything)),
  timestamp: mostly(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.oneof(instant, anything)),
  sent_at: mostly(instant, anything),
  metadata: mostly(fc.object({ maxDepth: 3 }), fc.oneof(fc.dictionary(text, text), fc.constant({ blob: 'x'.repeat(16 * 1024) }), anything)),
  site_id: mostly(printable(0, 128), fc.oneof(text, anything)),
  path: mostly(printable(0, 2048), fc.oneof(text, anything)),
};

describe('RecordEventDto.isPlainlyValid', () => {
  it('never accepts what class-validator rejects', () => {
    let accepted = 0;
    fc.assert(
      fc.property(
        fc.record(value, { requiredKeys: ['user_id', 'action'] }),
        mostly(fc.constant(undefined), fc.constantFrom('userId', 'extra', 'constructor')),
        (event, unknownKey) => {
          const candidate: Record<string, unknown> = { ...event };
          if (typeof unknownKey === 'string') candidate[unknownKey] = 1;
          if (RecordEventDto.isPlainlyValid(candidate)) {
            accepted++;
            expect(validateByDecorators(RecordEventDto, candidate).errors).toEqual([]);
          }
        },
      ),
      { numRuns: 5000, seed: 20261121 },
    );
    expect(accepted).toBeGreaterThan(100);
  });

  it('takes the fast path for a typical event', () => {
    expect(
      RecordEventDto.isPlainlyValid({
        event_id: '0195f3c2-6b1e-7cc0-9a51-3f0d6f1f6a10',
        user_id: 321,
        action: 'test_action',
        timestamp: '2025-10-23T13:07:00Z',
        sent_at: '2025-10-23T13:07:02Z',
        metadata: { page: '/hello/world' },
        site_id: 'site-abc-123',
        path: '/pricing',
      }),
    ).toBe(true);
  });
});
