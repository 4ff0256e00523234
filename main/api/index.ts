// Server-side entry of the API layer (transports import this; the renderer imports only ./contract).
export * from './contract';
export * from './context';
export * from './dispatch';
export * from './errors';
export * from './event-bus';
export { closeApiServices } from './shutdown';
export type { Handler, Handlers } from './handlers';
