/** Path of the Electron executable, or null when the binary was never downloaded. */
export function findElectronBinary(root?: string): string | null;
