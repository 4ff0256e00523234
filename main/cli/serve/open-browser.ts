// Opens the studio's URL in the user's browser after `serve --open` (what `npm start` runs without Electron).
// BROWSER (the convention of Python's webbrowser and create-react-app) names the program to use; BROWSER=none
// turns it off. On Linux a browser can only open where there is a display.
import { spawn } from 'node:child_process';

export type OpenOutcome = { opened: true; with: string } | { opened: false; reason: string };

function opener(
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
): { command: string; args: string[] } | string {
  if (env.BROWSER === 'none') return 'BROWSER=none';
  if (env.BROWSER) return { command: env.BROWSER, args: [] };
  if (platform === 'darwin') return { command: 'open', args: [] };
  if (platform === 'win32') return { command: 'cmd', args: ['/c', 'start', '""'] };
  if (!env.DISPLAY && !env.WAYLAND_DISPLAY) return 'no display (DISPLAY and WAYLAND_DISPLAY are unset)';
  return { command: 'xdg-open', args: [] };
}

export function openBrowser(
  url: string,
  env: NodeJS.ProcessEnv = process.env,
  platform: NodeJS.Platform = process.platform,
): Promise<OpenOutcome> {
  const how = opener(env, platform);
  if (typeof how === 'string') return Promise.resolve({ opened: false, reason: how });
  return new Promise((resolve) => {
    const child = spawn(how.command, [...how.args, url], { detached: true, stdio: 'ignore' });
    child.once('error', (err) => resolve({ opened: false, reason: `${how.command}: ${err.message}` }));
    child.once('spawn', () => {
      child.unref();
      resolve({ opened: true, with: how.command });
    });
  });
}
