// What every handler receives: the studio (created once per process by the transport, see main/app/app.ts) and
// who is calling, filled in per request by the transport.
import type { App } from '../app/app';
import type { AuthInfo } from '../app/caller';

export type { AuthInfo } from '../app/caller';
export { OWNER } from '../app/caller';

export interface ApiContext {
  app: App;
  auth: AuthInfo;
}
