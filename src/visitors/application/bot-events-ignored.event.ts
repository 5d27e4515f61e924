/**
 * Published by a browser route that answered a bot's request without storing its events
 * (isBrowserBot): Prometheus counts them by route (tracking_bot_events_ignored_total).
 */
export class BotEventsIgnored {
  constructor(
    readonly route: string,
    readonly events: number,
  ) {}
}
