// Argument parsers shared by commands; each throws commander's InvalidArgumentError with a clear reason.
import { InvalidArgumentError } from 'commander';

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
