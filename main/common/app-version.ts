import { readFileSync } from 'node:fs';

/** The studio's version from package.json (the same number Electron's app.getVersion() reports). */
export function appVersion(): string {
  const packageJson = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  return (JSON.parse(packageJson) as { version: string }).version;
}

/** Absolute path of the repository / app root (where package.json, dist/ and main/ live). */
export const APP_ROOT = new URL('../../', import.meta.url);
