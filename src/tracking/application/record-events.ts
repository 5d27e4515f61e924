import { Optional } from '@nestjs/common';
import { Command, CommandHandler, EventBus, ICommandHandler } from '@nestjs/cqrs';
import { isDatabaseUnavailable } from '../../shared/database/database-errors';
import { FieldError } from '../../shared/errors';
import { uuidv7 } from '../../shared/uuid';
import { EventRepository } from '../domain/event.repository';
import { createEvent, EventDraft, sameContent, TrackedEvent } from '../domain/tracked-event';
import { EventRetention } from './event-retention';
import { EventsRecorded } from './events-recorded.event';

export type RecordOutcome =
  | { status: 'created'; id: string }
  /** `contentMatches` false: an event with this id is stored, saying something else; it was kept. */
  | { status: 'duplicate'; id: string; contentMatches: boolean }
  | { status: 'rejected'; errors: FieldError[] };

/**
 * Records one or many events received together. Each draft gets its own outcome, in input
 * order; valid drafts are stored even when others are rejected. Outcomes are returned only
 * once the stored events are committed.
 */
export class RecordEventsCommand extends Command<RecordOutcome[]> {
  constructor(
    readonly drafts: EventDraft[],
    readonly receivedAt: Date = new Date(),
  ) {
    super();
  }
}

@CommandHandler(RecordEventsCommand)
export class RecordEventsHandler implements ICommandHandler<RecordEventsCommand, RecordOutcome[]> {
  constructor(
    private readonly events: EventRepository,
    private readonly bus?: EventBus,
    @Optional() private readonly retention?: EventRetention,
  ) {}

  async execute(command: RecordEventsCommand): Promise<RecordOutcome[]> {
    const outcomes = await this.record(command);
    const count = (status: RecordOutcome['status']) => outcomes.filter((o) => o.status === status).length;
    this.bus?.publish(new EventsRecorded(count('created'), count('duplicate'), count('rejected')));
    return outcomes;
  }

  private async record({ drafts, receivedAt }: RecordEventsCommand): Promise<RecordOutcome[]> {
    const outcomes: RecordOutcome[] = [];
    const toStore = new Map<string, TrackedEvent>();
    const firstOfId = new Map<string, number>();
    const sent: Array<{ event: TrackedEvent; draft: EventDraft } | null> = [];
    const keptSince = this.retention?.earliestAt(receivedAt);
    drafts.forEach((draft, index) => {
      const creation = createEvent(draft, receivedAt, () => uuidv7(receivedAt.getTime()), keptSince);
      if (!creation.ok) {
        outcomes.push({ status: 'rejected', errors: creation.errors });
        sent.push(null);
        return;
      }
      const { event } = creation;
      // The same id twice in one request: the first occurrence is the write, later ones are
      // duplicates of it, exactly as if they had arrived in a later request.
      if (!toStore.has(event.id)) {
        toStore.set(event.id, event);
        firstOfId.set(event.id, index);
      }
      outcomes.push({ status: 'duplicate', id: event.id, contentMatches: true });
      sent.push({ event, draft });
    });
    if (toStore.size === 0) return outcomes;

    const created = await this.events.insertNew([...toStore.values()]);
    for (const id of created) {
      outcomes[firstOfId.get(id)!] = { status: 'created', id };
    }
    await this.compareDuplicates(outcomes, sent, created, toStore);
    return outcomes;
  }

  /**
   * A duplicate tells the client whether what it sent matches what is stored (the stored
   * event is kept either way). Costs one read, only when a request holds duplicates.
   */
  private async compareDuplicates(
    outcomes: RecordOutcome[],
    sent: Array<{ event: TrackedEvent; draft: EventDraft } | null>,
    created: Set<string>,
    written: Map<string, TrackedEvent>,
  ): Promise<void> {
    const duplicateIds = new Set(outcomes.flatMap((o) => (o.status === 'duplicate' && !created.has(o.id) ? [o.id] : [])));
    const stored = new Map<string, TrackedEvent>();
    if (duplicateIds.size > 0) for (const event of await this.readStored([...duplicateIds])) stored.set(event.id, event);
    outcomes.forEach((outcome, index) => {
      if (outcome.status !== 'duplicate') return;
      // Stored before this request, or by an earlier item of this request.
      const original = stored.get(outcome.id) ?? (created.has(outcome.id) ? written.get(outcome.id) : undefined);
      const mine = sent[index]!;
      outcome.contentMatches = original ? sameContent(original, mine.event, mine.draft) : true;
    });
  }

  /**
   * The stored events of some ids, for the comparison. The events are committed by now, so a
   * failure here would answer 503 for a stored write (the client's retry then says duplicate):
   * a read the database could not serve at once (on Citus: no worker connection free) is tried
   * again twice before giving up.
   */
  private async readStored(ids: string[]): Promise<TrackedEvent[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.events.findByIds(ids);
      } catch (error) {
        if (attempt >= 3 || !isDatabaseUnavailable(error)) throw error;
        await new Promise((r) => setTimeout(r, 100 * attempt));
      }
    }
  }
}
