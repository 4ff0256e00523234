import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { createClient } from './api/client';
import { ApiContext } from './api/hooks';
import { App } from './App';
import { LoginGate } from './components/team/LoginGate';
import './styles.css';

const queryClient = new QueryClient({
  defaultOptions: { queries: { retry: 1, refetchOnWindowFocus: false } },
});

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiContext.Provider value={createClient()}>
      <QueryClientProvider client={queryClient}>
        <LoginGate>
          <App />
        </LoginGate>
      </QueryClientProvider>
    </ApiContext.Provider>
  </StrictMode>,
);
