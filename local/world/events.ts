/** Events fleetwatch put on the default bus (PutEvents, source "fleetwatch.<stage>"), recorded in order. */
import type { ServiceEvent } from '../../lib/ports.js';

export interface PublishedEvent extends ServiceEvent {
  source: string;
  time: number;
}

export class EventsWorld {
  readonly published: PublishedEvent[] = [];

  record(event: ServiceEvent, source: string, now: number): PublishedEvent {
    const published: PublishedEvent = { source, detailType: event.detailType, detail: structuredClone(event.detail), time: now };
    this.published.push(published);
    return published;
  }

  ofType(detailType: string): PublishedEvent[] {
    return this.published.filter((event) => event.detailType === detailType);
  }
}
