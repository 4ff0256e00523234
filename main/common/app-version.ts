import { readFileSync } from 'node:fs';

let cached: string | undefined;

/** The studio's version from package.json (the same number Electron's app.getVersion() reports). */
export function appVersion(): string {
  cached ??= (
    JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
  ).version;
  return cached;
}

/** Absolute path of the repository / app root (where package.json, dist/ and main/ live). */
export const APP_ROOT = new URL('../../', import.meta.url);
