// Server-side entry of the API layer (transports import this; the renderer imports only main/contract).
export * from '../contract';
export * from './context';
export * from './dispatch';
export * from './event-bus';
export { closeApiServices } from './shutdown';
export type { Handler, Handlers } from './handlers';
