// The one Content-Security-Policy of the UI, for the <meta> tag (renderer build), the browser-mode server
// and the Electron app:// protocol. Only our own origin (HTTP + same-origin WebSocket in browser mode,
// app://studio in Electron), library images from hps-image:, inline style attributes for React.
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: hps-image:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Headers may also forbid framing (browsers ignore frame-ancestors in a <meta> tag, with a warning). */
export const CONTENT_SECURITY_POLICY_HEADER = `${CONTENT_SECURITY_POLICY}; frame-ancestors 'none'`;
