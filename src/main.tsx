import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import 'katex/dist/katex.min.css';
import './styles.css';
import { AppProvider } from './app/context.tsx';
import { App } from './app/App.tsx';
import { UpdatePrompt } from './pwa/UpdatePrompt.tsx';
import { installBenchHook } from './app/bench.ts';

// npm run bench drives the page through this hook; it does nothing without ?bench=1
installBenchHook();

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <AppProvider>
      <App />
      {/* registers the service worker (injectRegister is off) and offers updates */}
      <UpdatePrompt />
    </AppProvider>
  </StrictMode>,
);
