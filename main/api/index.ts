// Server-side entry of the API layer (transports import this; the renderer imports only main/contract).
export * from '../contract';
export * from './context';
export * from './dispatch';
export { App, createApp, defaultDataDir, type AppInfo, type AppOptions } from '../app/app';
export { teamAuthenticator } from '../app/caller';
export type { EventListener } from '../app/event-bus';
export type { Handler, Handlers } from './handlers';
