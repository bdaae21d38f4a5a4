/**
 * Registers the service worker (vite-plugin-pwa, prompt mode) and tells the user
 * when the app is ready offline and when a new version is waiting. A waiting
 * version takes over only when the user chooses "Reload", so a recognition in
 * progress is never cut off by an update.
 */
import { useEffect } from 'react';
import { useRegisterSW } from 'virtual:pwa-register/react';

const UPDATE_CHECK_MS = 60 * 60 * 1000;

export function UpdatePrompt() {
  const {
    needRefresh: [needRefresh, setNeedRefresh],
    offlineReady: [offlineReady, setOfflineReady],
    updateServiceWorker,
  } = useRegisterSW({
    onRegisteredSW(_url, registration) {
      // long-lived tabs look for a new version hourly (when online)
      if (registration) setInterval(() => navigator.onLine && void registration.update().catch(() => undefined), UPDATE_CHECK_MS);
    },
    onRegisterError(e) {
      console.warn('Service worker registration failed; the app works, but not offline:', e);
    },
  });

  useEffect(() => {
    if (!offlineReady) return;
    const t = setTimeout(() => setOfflineReady(false), 8000);
    return () => clearTimeout(t);
  }, [offlineReady, setOfflineReady]);

  if (needRefresh) {
    return (
      <div className="pwa-toast" role="status" aria-labelledby="pwa-update-title">
        <strong id="pwa-update-title">Update available</strong>
        <span>A new version of the app is ready. Reloading keeps your history.</span>
        <button type="button" onClick={() => void updateServiceWorker(true)}>
          Reload
        </button>
        <button type="button" onClick={() => setNeedRefresh(false)}>
          Later
        </button>
      </div>
    );
  }
  if (offlineReady) {
    return (
      <div className="pwa-toast" role="status">
        <span>The app is ready to work offline.</span>
        <button type="button" aria-label="Dismiss offline notice" onClick={() => setOfflineReady(false)}>
          ×
        </button>
      </div>
    );
  }
  return null;
}
