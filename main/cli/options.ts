// Argument parsers shared by commands; each throws commander's InvalidArgumentError with a clear reason.
import { InvalidArgumentError, Option } from 'commander';

export function parsePort(value: string): number {
  const port = Number(value);
  if (!/^\d+$/.test(value) || port > 65535)
    throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return port;
}

export function parseNonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty.');
  return value;
}

/** A parser for one name of a list (the contract's name lists: execution providers, schedulers, kinds). */
export function oneOf<T extends string>(names: readonly T[]) {
  return (value: string): T => {
    if (!(names as readonly string[]).includes(value))
      throw new InvalidArgumentError(`expected one of ${names.join(', ')}.`);
    return value as T;
  };
}

/** postgres://… or postgresql://…; the message never repeats the value, which may hold a password. */
export function parseDatabaseUrl(value: string): string {
  if (!/^postgres(ql)?:\/\/\S+$/.test(value))
    throw new InvalidArgumentError('expected a PostgreSQL URL: postgres://user:password@host:5432/database.');
  return value;
}

/** redis://… or rediss://… (TLS); the message never repeats the value. */
export function parseQueueUrl(value: string): string {
  if (!/^rediss?:\/\/\S+$/.test(value))
    throw new InvalidArgumentError('expected a Redis URL: redis://:password@host:6379 (rediss:// for TLS).');
  return value;
}

/** `--database`, also read from HPS_DATABASE_URL, so the password need not sit in the shell history. */
export function databaseOption(): Option {
  return new Option(
    '--database <url>',
    'PostgreSQL library database (postgres://…); the library folder then holds only the images',
  )
    .env('HPS_DATABASE_URL')
    .argParser(parseDatabaseUrl);
}

/** `--queue`, also read from HPS_QUEUE_URL. */
export function queueOption(description: string): Option {
  return new Option('--queue <url>', description).env('HPS_QUEUE_URL').argParser(parseQueueUrl);
}
