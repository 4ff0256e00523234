// Typed, validated event fan-out from services to the transports (IPC bridge, WebSocket clients).
import { z } from 'zod';
import { events, type EventMessage, type EventName, type EventPayload } from '../contract';

export type EventListener = (message: EventMessage) => void;

export class EventBus {
  private readonly listeners = new Set<EventListener>();

  subscribe(listener: EventListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Throws when the payload does not match the contract: a bug in the emitter, caught where it happens. */
  emit<K extends EventName>(event: K, payload: EventPayload<K>): void {
    const parsed = events[event].safeParse(payload);
    if (!parsed.success) throw new Error(`invalid ${event} payload: ${z.prettifyError(parsed.error)}`);
    const message = { event, payload: parsed.data } as EventMessage;
    for (const listener of this.listeners) listener(message);
  }
}
