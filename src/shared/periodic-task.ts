/**
 * A pass run now and then every `everyMs` in the background (the timer does not keep the
 * process alive), never two at once: a call while a pass runs joins it. A failing pass is
 * reported to `onError` and the next one tries again; `stop` waits for the pass under way.
 */
export class PeriodicTask {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly everyMs: number,
    private readonly pass: (now: Date) => Promise<void>,
    private readonly onError: (error: Error) => void,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.runOnce(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  runOnce(now: Date = new Date()): Promise<void> {
    this.running ??= this.pass(now)
      .catch(this.onError)
      .finally(() => (this.running = undefined));
    return this.running;
  }
}
