// Team mode: the page loads without a token; when the server answers 401 this asks for one, keeps it for the
// tab (or, if asked, in localStorage) and reloads so every request and the WebSocket carry it.
import { useState, type FormEvent, type ReactNode } from 'react';
import { ApiCallError } from '../../api/client';
import { useCall } from '../../api/hooks';
import '../form.css';
import './team.css';

export const TOKEN_KEY = 'hps-token';

export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
  localStorage.removeItem(TOKEN_KEY);
  location.assign(location.pathname + location.hash);
}

export function LoginGate({ children }: { children: ReactNode }) {
  const status = useCall('library.status', {}, { retry: false, staleTime: 30_000 });
  const unauthorized = status.error instanceof ApiCallError && status.error.code === 'unauthorized';
  if (unauthorized) return <LoginScreen rejected={hadToken()} />;
  return <>{children}</>;
}

export const hadToken = () => Boolean(sessionStorage.getItem(TOKEN_KEY) ?? localStorage.getItem(TOKEN_KEY));

function LoginScreen({ rejected }: { rejected: boolean }) {
  const [token, setToken] = useState('');
  const [remember, setRemember] = useState(false);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    sessionStorage.removeItem(TOKEN_KEY);
    localStorage.removeItem(TOKEN_KEY);
    (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, token.trim());
    // Drop a stale ?token= so the new one is used.
    location.assign(location.pathname + location.hash);
  };
  return (
    <main className="login">
      <form className="login-card" onSubmit={submit} aria-label="Sign in">
        <div className="brand">
          <span className="logo" aria-hidden>
            ◐
          </span>
          HPS Studio
        </div>
        <h1>Sign in to label</h1>
        <p className="muted">
          This studio is shared by a team. Paste the login token your admin gave you (
          <code>hps-studio annotators add</code> prints it).
        </p>
        {rejected && <p className="error">That token was not accepted. Check it and try again.</p>}
        <label className="field">
          <span>Token</span>
          <input
            type="password"
            autoFocus
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            aria-label="Token"
          />
        </label>
        <label className="check">
          <input type="checkbox" checked={remember} onChange={(e) => setRemember(e.target.checked)} />
          Remember on this computer
        </label>
        <button type="submit" className="primary" disabled={token.trim() === ''}>
          Sign in
        </button>
      </form>
    </main>
  );
}
