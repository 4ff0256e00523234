import type { CallName, CallOutput, ParsedInput } from '../../contract';
import type { ApiContext } from '../context';

/** A handler gets the already-validated input; its output is validated against the contract too. */
export type Handler<K extends CallName> = (input: ParsedInput<K>, ctx: ApiContext) => Promise<CallOutput<K>>;
export type Handlers = { [K in CallName]: Handler<K> };
