// Where the outbox relay publishes. In process for the embedded setup; the interface is the seam
// for NATS JetStream (subject per destination, the message id as Nats-Msg-Id for broker-side dedupe).
import type { Envelope } from '../engine/messages.js';

export interface MessageSink {
  /** Resolves once every consumer of these messages has taken them (at-least-once: may see them again). */
  publish(messages: Envelope[]): Promise<void>;
}

export type Consumer = (messages: Envelope[]) => Promise<void>;

export class InProcessBus implements MessageSink {
  private readonly consumers = new Map<string, Consumer[]>();
  private fallback: Consumer | null = null;
  /** Messages no consumer took (a command to an owner nobody serves times out in the engine). */
  undelivered = 0;

  subscribe(destination: string, consumer: Consumer): () => void {
    const list = this.consumers.get(destination) ?? [];
    list.push(consumer);
    this.consumers.set(destination, list);
    return () => { this.consumers.set(destination, (this.consumers.get(destination) ?? []).filter((c) => c !== consumer)); };
  }

  /** Takes messages for destinations without a subscriber (e.g. every component owner). */
  subscribeRest(consumer: Consumer): void {
    this.fallback = consumer;
  }

  async publish(messages: Envelope[]): Promise<void> {
    // Grouped by destination, each group in the order given: order per saga and destination holds.
    const groups = new Map<string, Envelope[]>();
    for (const m of messages) {
      const group = groups.get(m.destination) ?? [];
      group.push(m);
      groups.set(m.destination, group);
    }
    // Destinations nobody subscribed to go to the fallback in one call (in the order given), so
    // the components answer a round's commands together: one engine transaction for the answers.
    const rest = messages.filter((m) => !this.consumers.get(m.destination)?.length);
    const work: Promise<void>[] = [...groups]
      .filter(([destination]) => (this.consumers.get(destination)?.length ?? 0) > 0)
      .map(async ([destination, group]) => {
        await Promise.all((this.consumers.get(destination) ?? []).map((consume) => consume(group)));
      });
    if (rest.length > 0) {
      if (this.fallback) work.push(this.fallback(rest));
      else this.undelivered += rest.length;
    }
    await Promise.all(work);
  }
}
