/**
 * Database and queue URLs may carry a user name and password (postgres://user:secret@host/db). Anything that
 * prints a URL or sends it anywhere shows this instead: the same address with the credentials masked.
 */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()])
      if (/pass|secret|token|key/i.test(key)) parsed.searchParams.set(key, '***');
    return parsed.toString();
  } catch {
    return '<unparseable URL>';
  }
}

/** An error's message with every URL in `urls` (and its password alone) replaced by its redacted form. */
export function redactMessage(message: string, urls: readonly (string | undefined)[]): string {
  let out = message;
  for (const url of urls) {
    if (!url) continue;
    out = out.split(url).join(redactUrl(url));
    const password = passwordOf(url);
    if (password) out = out.split(password).join('***');
  }
  return out;
}

function passwordOf(url: string): string | null {
  try {
    const { password } = new URL(url);
    return password ? decodeURIComponent(password) : null;
  } catch {
    return null;
  }
}
