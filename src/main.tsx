import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'katex/dist/katex.min.css';
import './styles.css';
import { AppProvider } from './app/context.tsx';
import { App } from './app/App.tsx';
import { UpdatePrompt } from './pwa/UpdatePrompt.tsx';
import { installBenchHook } from './app/bench.ts';
import { ErrorBoundary } from './ui/ErrorBoundary.tsx';

// npm run bench drives the page through this hook; it does nothing without ?bench=1
installBenchHook();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProvider>
      {/* the last resort: each part of the app has its own boundary (src/app/App.tsx) */}
      <ErrorBoundary name="The app">
        <App />
      </ErrorBoundary>
      {/* registers the service worker (injectRegister is off) and offers updates */}
      <UpdatePrompt />
    </AppProvider>
  </StrictMode>,
);
