import { Injectable } from '@nestjs/common';
import { anonymousVisitorId, utcDay } from '../domain/anonymous-visitor';
import { VisitorSalts } from '../domain/visitor-salts';

/**
 * Anonymous visitor ids for the browser routes (our tracker, Plausible's script, Umami's):
 * the day's salt is read once per process and day (a promise, so concurrent first requests
 * share one read), then every id is an in-memory HMAC.
 */
@Injectable()
export class AnonymousVisitors {
  private current: { day: string; salt: Promise<Buffer> } | null = null;

  constructor(private readonly salts: VisitorSalts) {}

  /** The user id of a visitor who sent none, for this UTC day (`at`: the server's clock). */
  async idOf(site: string, address: string, userAgent: string, at = new Date()): Promise<string> {
    const day = utcDay(at);
    if (!this.current || this.current.day !== day) {
      const salt = this.salts.saltOf(day);
      this.current = { day, salt };
      salt.catch(() => {
        if (this.current?.salt === salt) this.current = null; // the next request asks again
      });
    }
    return anonymousVisitorId(await this.current.salt, site, address, userAgent);
  }
}
