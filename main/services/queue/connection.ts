import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { redactMessage } from '../../common/redact';

/**
 * One ioredis connection for BullMQ. Workers block on Redis, so BullMQ wants no per-request retry limit; a lost
 * server is retried in the background. Errors are reported with the URL's credentials masked.
 */
export function redisConnection(url: string, onError: (message: string) => void = () => {}): Redis {
  if (!/^rediss?:\/\//.test(url)) throw new Error('the queue URL must start with redis:// or rediss://');
  const connection = new Redis(url, { maxRetriesPerRequest: null, enableReadyCheck: true });
  connection.on('error', (error: Error) => onError(redactMessage(error.message, [url])));
  return connection;
}

/** Where one deployment's queues live in Redis: several studios can share one server with different prefixes. */
export const DEFAULT_QUEUE_PREFIX = 'hps-studio';

/** The server's handles on one queue: a connection of its own (also for plain commands), the queue, and its events. */
export function openQueue(name: string, url: string, prefix: string, onError: (message: string) => void) {
  const connection = redisConnection(url, onError);
  const eventsConnection = redisConnection(url, onError);
  const queue = new Queue(name, { connection, prefix });
  const events = new QueueEvents(name, { connection: eventsConnection, prefix });
  queue.on('error', (error) => onError(error.message));
  events.on('error', (error) => onError(error.message));
  const ready = async () => void (await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]));
  const close = async () => {
    await Promise.all([queue.close(), events.close()]);
    // BullMQ leaves connections it was given open: without this they reconnect forever and keep the process up.
    connection.disconnect();
    eventsConnection.disconnect();
  };
  return { connection, queue, events, ready, close };
}
