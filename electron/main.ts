// Electron main process: lifecycle, the one window, protocols, menus, and the engine host. Everything the
// API does runs in the host (utility process); this process only routes messages and keeps the window safe.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { app, BrowserWindow } from 'electron';
import { HostBridge, hostScriptPath } from './host-bridge';
import { installMenu } from './menu';
import { APP_URL, handleProtocols, registerSchemes } from './protocols';
import { hardenSessions } from './security';

const appRoot = app.getAppPath();
// HPS_LIBRARY_DIR lets tests and power users point the app at another library.
const libraryDir = process.env.HPS_LIBRARY_DIR ?? join(app.getPath('userData'), 'library');
let window: BrowserWindow | null = null;

function createWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    show: false,
    title: 'HPS Studio',
    webPreferences: {
      preload: join(__dirname, 'preload.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      spellcheck: false,
    },
  });
  win.once('ready-to-show', () => win.show());
  void win.loadURL(APP_URL);
  return win;
}

if (!app.requestSingleInstanceLock()) {
  app.quit();
} else {
  registerSchemes();
  app.on('second-instance', () => {
    if (window?.isMinimized()) window.restore();
    window?.focus();
  });

  app.whenReady().then(() => {
    mkdirSync(libraryDir, { recursive: true });
    hardenSessions();
    handleProtocols(join(appRoot, 'dist/renderer'), libraryDir);
    const host = new HostBridge({
      hostScript: hostScriptPath(__dirname),
      appRoot,
      libraryDir,
      dataDir: app.getPath('userData'),
      appVersion: app.getVersion(),
    });
    host.start();
    host.listen();
    installMenu(libraryDir);
    window = createWindow();
    window.on('closed', () => (window = null));
    app.on('activate', () => {
      if (!window) window = createWindow();
    });
    app.on('before-quit', () => host.stop());
  });

  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });
}
