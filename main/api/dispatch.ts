// The one place a call is run, whatever the transport: name check, access check, input validation,
// handler, output validation.
import { z } from 'zod';
import { calls, isCallName, type CallName } from '../contract';
import type { App } from '../app/app';
import type { ApiContext, AuthInfo } from './context';
import { ApiError } from '../contract/errors';
import { handlers, type Handler } from './handlers';

export async function dispatch(name: string, input: unknown, ctx: ApiContext): Promise<unknown> {
  if (!isCallName(name)) throw new ApiError('not_found', `unknown call "${name}"`);
  const spec = calls[name];
  if (ctx.auth.role === 'annotator' && spec.access !== 'annotator') {
    throw new ApiError('forbidden', `annotators may not call ${name}`);
  }
  const parsed = spec.input.safeParse(input ?? {});
  if (!parsed.success) {
    throw new ApiError('bad_request', `invalid input for ${name}: ${z.prettifyError(parsed.error)}`);
  }
  const handler = handlers[name] as Handler<CallName>;
  const output = spec.output.safeParse(await handler(parsed.data as never, ctx));
  if (!output.success) {
    throw new ApiError(
      'internal',
      `${name} returned output that breaks the contract: ${z.prettifyError(output.error)}`,
    );
  }
  return output.data;
}

/** Binds dispatch to the process's studio; transports call `api.call(name, input, auth)`. */
export function createApi(app: App) {
  return {
    app,
    call: (name: string, input: unknown, auth: AuthInfo) => dispatch(name, input, { app, auth }),
  };
}

export type Api = ReturnType<typeof createApi>;
