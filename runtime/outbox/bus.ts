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
    await Promise.all([...groups].map(async ([destination, group]) => {
      const consumers = this.consumers.get(destination);
      if (consumers && consumers.length > 0) {
        await Promise.all(consumers.map((consume) => consume(group)));
      } else if (this.fallback) {
        await this.fallback(group);
      } else {
        this.undelivered += group.length;
      }
    }));
  }
}
