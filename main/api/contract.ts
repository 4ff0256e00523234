// THE API contract: every call renderer → main and every event main → renderer, declared once with zod.
// Both transports (Electron IPC, HTTP/WebSocket) and the renderer client are typed from this file.
// To add a call: add an entry to one of the `*Calls` objects (or a new file spread in below), then a
// handler with the same name in main/api/handlers/ — a missing handler is a type error.
import type { z } from 'zod';
import type { CallSpec } from './contract/define';
import { evaluationCalls } from './contract/evaluation';
import { generateCalls } from './contract/generate';
import { events } from './contract/events';
import { jobCalls } from './contract/jobs';
import { labelingCalls } from './contract/labeling';
import { libraryCalls } from './contract/library';
import { modelCalls } from './contract/models';
import { scorerCalls } from './contract/scorers';
import { systemCalls } from './contract/system';
import { trainingCalls } from './contract/training';

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
export * from './contract/define';
export * from './contract/evaluation';
export * from './contract/generate';
export * from './contract/jobs';
export * from './contract/labeling';
export * from './contract/library';
export * from './contract/models';
export * from './contract/scorers';
export * from './contract/system';
export * from './contract/training';

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

/** Error codes shared by the transports; HTTP maps them to status codes. */
export const API_ERROR_CODES = ['bad_request', 'not_found', 'unauthorized', 'forbidden', 'internal'] as const;
export type ApiErrorCode = (typeof API_ERROR_CODES)[number];

/** The result envelope used by the Electron bridge (HTTP uses status codes plus `{ error }`). */
export type CallResult<T = unknown> =
  { ok: true; output: T } | { ok: false; error: { code: ApiErrorCode; message: string } };
