// Time is injected so that timers, leases and backoff can be tested without sleeping.
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export class ManualClock implements Clock {
  private at: number;
  constructor(start: Date | string = '2026-11-25T09:00:00.000Z') {
    this.at = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.at);
  }
  advance(ms: number): void {
    this.at += ms;
  }
  set(to: Date): void {
    this.at = Math.max(this.at, to.getTime());
  }
}
