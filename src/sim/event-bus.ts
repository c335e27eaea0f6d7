import type { UncheckedMarathonEvent } from "../marathon/types.js";

export type EventListener = (event: UncheckedMarathonEvent) => void;

/** Fan-out of Marathon events to `/v2/events` streams and in-process listeners. */
export class EventBus {
  private readonly listeners = new Set<EventListener>();
  /** Every event published, for tests (bounded so a long `mdeploy sim` does not grow forever). */
  readonly history: UncheckedMarathonEvent[] = [];
  private readonly historyLimit: number;

  constructor(historyLimit = 100_000) {
    this.historyLimit = historyLimit;
  }

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  publish(event: UncheckedMarathonEvent): void {
    this.history.push(event);
    if (this.history.length > this.historyLimit) this.history.splice(0, this.history.length - this.historyLimit);
    for (const listener of [...this.listeners]) listener(event);
  }
}

/** One server-sent-events frame as Marathon writes it. */
export function sseFrame(event: UncheckedMarathonEvent): string {
  return `event: ${event.eventType}\ndata: ${JSON.stringify(event)}\n\n`;
}
