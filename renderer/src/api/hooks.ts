// React bindings for the API client: `useCall` for data (TanStack Query), `useCallMutation` for writes,
// `useEvent` for pushed events.
import {
  hashKey,
  skipToken,
  useMutation,
  useQuery,
  useQueryClient,
  type UseQueryOptions,
} from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useRef, useState } from 'react';
import type { CallInput, CallName, CallOutput, EventName, EventPayload } from '../../../main/contract';
import type { ApiClient } from './client';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi needs <ApiContext.Provider>');
  return api;
}

/** Query key of a call; use it with queryClient.invalidateQueries / setQueryData. */
export const callKey = <K extends CallName>(name: K, input?: CallInput<K>) =>
  input === undefined ? [name] : [name, input];

export function useCall<K extends CallName>(
  name: K,
  input: CallInput<K>,
  options: Omit<UseQueryOptions<CallOutput<K>>, 'queryKey' | 'queryFn'> = {},
) {
  const api = useApi();
  return useQuery({ queryKey: callKey(name, input), queryFn: () => api.call(name, input), ...options });
}

/** A read made on request (a button): nothing is fetched before `ask(input)`, and asking the same again
 *  fetches a fresh answer. `asked` is the input of the answer shown. */
export function useCallOnDemand<K extends CallName>(name: K) {
  const api = useApi();
  const [asked, setAsked] = useState<CallInput<K> | null>(null);
  const queryKey = asked === null ? [name, null] : callKey(name, asked);
  const result = useQuery({
    queryKey,
    queryFn: asked === null ? skipToken : () => api.call(name, asked),
    // The answer to a click: its error shows at once instead of after a retry.
    retry: false,
  });
  const ask = (input: CallInput<K>) => {
    if (hashKey(callKey(name, input)) === hashKey(queryKey)) void result.refetch();
    else setAsked(input);
  };
  return { result, asked, ask, forget: () => setAsked(null) };
}

/** Marks every query of the named calls (whatever their input) stale and refetches the ones on screen. */
export function useInvalidate(): (...names: CallName[]) => Promise<void> {
  const queryClient = useQueryClient();
  return useCallback(
    async (...names) => {
      await Promise.all(names.map((name) => queryClient.invalidateQueries({ queryKey: callKey(name) })));
    },
    [queryClient],
  );
}

interface CallMutationOptions<K extends CallName> {
  /** Calls whose queries refetch once the write succeeded. */
  invalidates?: readonly CallName[];
  onSuccess?: (output: CallOutput<K>, input: CallInput<K>) => unknown;
}

/** A write: `mutate(input)` makes the call; busy state and error are the mutation's (isPending, error). */
export function useCallMutation<K extends CallName>(
  name: K,
  { invalidates = [], onSuccess }: CallMutationOptions<K> = {},
) {
  const api = useApi();
  const invalidate = useInvalidate();
  return useMutation({
    mutationFn: (input: CallInput<K>) => api.call(name, input),
    // Returning the refetches keeps the mutation pending until the screen shows what the write changed.
    onSuccess: (output, input) => Promise.all([invalidate(...invalidates), onSuccess?.(output, input)]),
  });
}

/** The error of the write submitted last among several (one error line under a row of action buttons), so
 *  each action clears what an earlier one said. */
export function lastWriteError(...writes: { error: Error | null; submittedAt: number }[]): string | null {
  const last = writes.reduce((a, b) => (b.submittedAt > a.submittedAt ? b : a));
  return last.error?.message ?? null;
}

export function useEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const api = useApi();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => api.on(event, (payload) => latest.current(payload)), [api, event]);
}
