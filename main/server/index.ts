export * from './auth';
export { isLoopbackHost } from './guard';
export * from './server';
