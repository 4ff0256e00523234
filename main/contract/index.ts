// THE API contract: every call renderer → main and every event main → renderer, declared once with zod.
// Both transports (Electron IPC, HTTP/WebSocket) and the renderer client are typed from this folder, which
// imports nothing of the product (only zod), so every layer may depend on it.
// To add a call: add an entry to one of the `*Calls` objects (or a new file spread in below), then a
// handler with the same name in main/api/handlers/ — a missing handler is a type error.
import type { z } from 'zod';
import type { CallSpec } from './define';
import { evaluationCalls } from './evaluation';
import { generateCalls } from './generate';
import { events } from './events';
import { jobCalls } from './jobs';
import { labelingCalls } from './labeling';
import { libraryCalls } from './library';
import { modelCalls } from './models';
import { scorerCalls } from './scorers';
import { systemCalls } from './system';
import { trainingCalls } from './training';

export const calls = {
  ...systemCalls,
  ...jobCalls,
  ...libraryCalls,
  ...labelingCalls,
  ...evaluationCalls,
  ...modelCalls,
  ...generateCalls,
  ...trainingCalls,
  ...scorerCalls,
} satisfies Record<string, CallSpec>;

export { events };
export * from './define';
export * from './errors';
export * from './evaluation';
export * from './generate';
export * from './jobs';
export * from './labeling';
export * from './library';
export * from './models';
export * from './names';
export * from './scorers';
export * from './system';
export * from './training';

export type Calls = typeof calls;
export type CallName = keyof Calls;
/** What a caller passes (before zod defaults/transforms). */
export type CallInput<K extends CallName> = z.input<Calls[K]['input']>;
/** What a handler receives (after parsing). */
export type ParsedInput<K extends CallName> = z.output<Calls[K]['input']>;
export type CallOutput<K extends CallName> = z.output<Calls[K]['output']>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.output<Events[K]>;
/** One event as it travels over a transport. */
export type EventMessage = { [K in EventName]: { event: K; payload: EventPayload<K> } }[EventName];

export const CALL_NAMES = Object.keys(calls) as CallName[];
export const EVENT_NAMES = Object.keys(events) as EventName[];

export function isCallName(name: string): name is CallName {
  return Object.hasOwn(calls, name);
}

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(events, name);
}
