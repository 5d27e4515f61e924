/** Published after every write of events (one request): what was created, duplicate or rejected. */
export class EventsRecorded {
  constructor(
    readonly created: number,
    readonly duplicates: number,
    readonly rejected: number,
  ) {}
}
