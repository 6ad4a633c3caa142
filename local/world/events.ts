/** Events fleetwatch put on the default bus (PutEvents, source "fleetwatch"), recorded in order. */
import type { ServiceEvent } from '../../lib/ports.js';

export interface PublishedEvent extends ServiceEvent {
  source: string;
  time: number;
}

export class EventsWorld {
  readonly published: PublishedEvent[] = [];

  record(event: ServiceEvent, now: number): PublishedEvent {
    const published: PublishedEvent = { source: 'fleetwatch', detailType: event.detailType, detail: structuredClone(event.detail), time: now };
    this.published.push(published);
    return published;
  }

  ofType(detailType: string): PublishedEvent[] {
    return this.published.filter((event) => event.detailType === detailType);
  }
}
