// React bindings for the API client: `useCall` for data (TanStack Query), `useEvent` for pushed events.
import { useQuery, type UseQueryOptions } from '@tanstack/react-query';
import { createContext, useContext, useEffect, useRef } from 'react';
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

export function useEvent<E extends EventName>(event: E, listener: (payload: EventPayload<E>) => void): void {
  const api = useApi();
  const latest = useRef(listener);
  useEffect(() => {
    latest.current = listener;
  });
  useEffect(() => api.on(event, (payload) => latest.current(payload)), [api, event]);
}
