import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin, type Connect } from 'vite';
import react from '@vitejs/plugin-react';
import { VitePWA } from 'vite-plugin-pwa';

const MODELS_DIR = path.resolve(import.meta.dirname, 'models');

/** Cross-origin isolation, so onnxruntime-web can use WASM threads (SharedArrayBuffer). */
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/**
 * Only the app's own origin. 'wasm-unsafe-eval' lets WebAssembly compile; blob: workers
 * are onnxruntime's proxy/thread workers; style attributes are KaTeX's inline layout.
 * connect-src allows the Hugging Face hub only for the "model id" feature (never used by
 * the built-in models: tests/e2e checks that no request leaves the origin).
 */
export const CSP = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob: data: https://huggingface.co https://*.huggingface.co https://*.hf.co",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
].join('; ');

/** Serve ./models at /models/ (dev and preview) and copy it into the build. A missing
 * file is a real 404, never index.html (transformers.js would parse HTML as JSON). */
function modelsPlugin(): Plugin {
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/models/')) return next();
    const file = path.join(MODELS_DIR, decodeURIComponent(url.pathname.slice('/models/'.length)));
    if (!file.startsWith(MODELS_DIR + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    const types: Record<string, string> = { '.json': 'application/json', '.onnx': 'application/octet-stream', '.md': 'text/markdown; charset=utf-8' };
    res.setHeader('Content-Type', types[path.extname(file)] ?? 'application/octet-stream');
    res.setHeader('Content-Length', String(fs.statSync(file).size));
    fs.createReadStream(file).pipe(res);
  };
  return {
    name: 'latex-ocr-models',
    configureServer: (server) => void server.middlewares.use(serve),
    configurePreviewServer: (server) => void server.middlewares.use(serve),
    writeBundle(options) {
      const out = path.join(options.dir ?? 'dist', 'models');
      for (const name of fs.readdirSync(MODELS_DIR)) {
        const src = path.join(MODELS_DIR, name);
        if (fs.statSync(src).isDirectory() && fs.existsSync(path.join(src, 'config.json'))) {
          fs.cpSync(src, path.join(out, name), {
            recursive: true,
            filter: (f) => !f.endsWith('.pt'), // training weights stay out of the app
          });
        } else if (name === 'README.md' || name === 'index.json') {
          fs.mkdirSync(out, { recursive: true });
          fs.copyFileSync(src, path.join(out, name));
        }
      }
    },
  };
}

/** The strict CSP as a meta tag in the built index.html (static hosts may not send headers). */
function cspMetaPlugin(): Plugin {
  return {
    name: 'latex-ocr-csp-meta',
    apply: 'build',
    transformIndexHtml: (html) => html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${CSP}">`),
  };
}

export default defineConfig({
  appType: 'mpa',
  plugins: [
    react(),
    modelsPlugin(),
    cspMetaPlugin(),
    VitePWA({
      registerType: 'prompt',
      injectRegister: false,
      includeAssets: ['icons/*.png', 'icons/*.svg', 'examples/*', '_headers'],
      manifest: {
        name: 'LaTeX OCR Playground',
        short_name: 'LaTeX OCR',
        description: 'Turn a picture of an equation into LaTeX in the browser, and see how OCR models fail as the input drifts.',
        theme_color: '#1e3a8a',
        background_color: '#ffffff',
        display: 'standalone',
        start_url: '.',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        globPatterns: ['**/*.{js,mjs,css,html,woff2,woff,ttf,wasm,png,svg,webmanifest}'],
        globIgnores: ['models/**'],
        // onnxruntime's wasm is ~27 MB; it must be precached to work offline
        maximumFileSizeToCacheInBytes: 40 * 1024 * 1024,
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/models\//],
        cleanupOutdatedCaches: true,
        runtimeCaching: [
          {
            // built-in models: cached on first use (or by "Make available offline"), in their own cache
            urlPattern: ({ url, sameOrigin }) => sameOrigin && url.pathname.startsWith('/models/'),
            handler: 'CacheFirst',
            options: {
              cacheName: 'latex-ocr-models-v1',
              cacheableResponse: { statuses: [200] },
            },
          },
        ],
      },
    }),
  ],
  worker: { format: 'es' },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: { ...ISOLATION_HEADERS, 'Content-Security-Policy': CSP } },
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
});
