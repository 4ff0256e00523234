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
