import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { defineConfig, defaultClientConditions, type Plugin, type Connect } from 'vite';
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
 * are onnxruntime's proxy/thread workers. Style sheets only from the app's own files (Vite
 * bundles KaTeX's CSS into one; nothing adds <style> elements at run time); inline style
 * *attributes* stay allowed (style-src-attr): KaTeX's layout and markdown-it's table alignment
 * are style="" attributes in the HTML they produce. connect-src allows the Hugging Face hub only
 * for the "model id" feature (never used by the built-in models: tests/e2e checks that no
 * request leaves the origin).
 */
const CSP_DIRECTIVES = [
  "default-src 'self'",
  "script-src 'self' 'wasm-unsafe-eval'",
  "worker-src 'self' blob:",
  "style-src 'self'",
  "style-src-attr 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self' data:",
  "connect-src 'self' blob: data: https://huggingface.co https://*.huggingface.co https://*.hf.co",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'none'",
];
/**
 * The CSP header (preview server; public/_headers for static hosts): also no framing of the
 * app by any site (clickjacking). frame-ancestors works only as a header, so it is not in
 * CSP_META; X-Frame-Options: DENY says the same to browsers without CSP 2.
 */
export const CSP = [...CSP_DIRECTIVES, "frame-ancestors 'none'"].join('; ');
/** The CSP as a <meta> tag in the built index.html: without frame-ancestors, which browsers ignore there (with a console error). */
export const CSP_META = CSP_DIRECTIVES.join('; ');

/** What the app may fetch of a built-in model folder (training weights stay out). */
const shippedModelFile = (f: string) => !f.endsWith('.pt');
const hashCache = new Map<string, { key: string; sha256: string }>();

/**
 * models/index.json: every built-in model and its files (size + SHA-256), generated from
 * ./models. The app uses it to make the models available offline and to drop cached
 * files that a retrained model replaced (src/pwa/modelCache.ts).
 */
function modelIndex() {
  const models = [];
  for (const id of fs.existsSync(MODELS_DIR) ? fs.readdirSync(MODELS_DIR).sort() : []) {
    const dir = path.join(MODELS_DIR, id);
    if (!fs.statSync(dir).isDirectory() || !fs.existsSync(path.join(dir, 'config.json'))) continue;
    const files = [];
    for (const rel of (fs.readdirSync(dir, { recursive: true }) as string[]).map((f) => f.split(path.sep).join('/')).sort()) {
      const file = path.join(dir, rel);
      const stat = fs.statSync(file);
      if (!stat.isFile() || !shippedModelFile(rel)) continue;
      const key = `${stat.size}:${stat.mtimeMs}`;
      let h = hashCache.get(file);
      if (h?.key !== key) hashCache.set(file, (h = { key, sha256: crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') }));
      files.push({ path: rel, size: stat.size, sha256: h.sha256 });
    }
    models.push({ id, files });
  }
  return { version: 1, models };
}

/** Serve ./models at /models/ (dev and preview) and copy it into the build. A missing
 * file is a real 404, never index.html (transformers.js would parse HTML as JSON). */
function modelsPlugin(): Plugin {
  const serve: Connect.NextHandleFunction = (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (!url.pathname.startsWith('/models/')) return next();
    if (url.pathname === '/models/index.json') {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Cache-Control', 'no-cache');
      res.end(JSON.stringify(modelIndex()));
      return;
    }
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
            filter: shippedModelFile,
          });
        } else if (name === 'README.md') {
          fs.mkdirSync(out, { recursive: true });
          fs.copyFileSync(src, path.join(out, name));
        }
      }
      fs.mkdirSync(out, { recursive: true });
      fs.writeFileSync(path.join(out, 'index.json'), JSON.stringify(modelIndex()));
    },
  };
}

/** The strict CSP as a meta tag in the built index.html (static hosts may not send headers). */
function cspMetaPlugin(): Plugin {
  return {
    name: 'latex-ocr-csp-meta',
    apply: 'build',
    transformIndexHtml: (html) => html.replace('<head>', `<head>\n    <meta http-equiv="Content-Security-Policy" content="${CSP_META}">`),
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
      // not _headers: static hosts consume it and answer 404, which would fail the SW install
      includeAssets: ['icons/*.png', 'icons/*.svg', 'examples/*'],
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
        // KaTeX fonts as woff2 only: every browser that runs this app picks woff2 first
        globPatterns: ['**/*.{js,mjs,css,html,woff2,wasm,png,svg,webmanifest}'],
        // WASM's onnxruntime build (14 MB) is precached, so the app works offline from the first
        // visit. The WebGPU builds (JSPI 17 MB, asyncify 27 MB; a browser uses one of them) are
        // cached when first used instead of making every visitor download both.
        globIgnores: ['models/**', '**/ort-wasm-simd-threaded.jspi-*.wasm', '**/ort-wasm-simd-threaded.asyncify-*.wasm'],
        maximumFileSizeToCacheInBytes: 20 * 1024 * 1024,
        runtimeCaching: [
          {
            urlPattern: /\/assets\/ort-wasm-simd-threaded\.(jspi|asyncify)-[\w-]+\.wasm$/,
            handler: 'CacheFirst',
            options: { cacheName: 'latex-ocr-webgpu-runtime', expiration: { maxEntries: 4 } },
          },
        ],
        navigateFallback: 'index.html',
        navigateFallbackDenylist: [/^\/models\//],
        cleanupOutdatedCaches: true,
        // No runtime route for /models/: the OCR worker itself keeps built-in model files in the
        // cache "latex-ocr-models-v1" on first use (src/pwa/modelCache.ts), also on the very first
        // visit, before this service worker controls the page; "Make available offline" fills the
        // same cache, and stale files of a retrained model are dropped using models/index.json.
      },
    }),
  ],
  worker: { format: 'es' },
  // onnxruntime-web without its asyncify glue built in: the OCR worker names the build it loads
  // (plain WASM, JSPI or asyncify; workers/ocr.worker.ts), so the worker carries no unused glue
  resolve: { conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions] },
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: { ...ISOLATION_HEADERS, 'Content-Security-Policy': CSP, 'X-Frame-Options': 'DENY' } },
  build: { target: 'es2022', chunkSizeWarningLimit: 1500 },
  optimizeDeps: { exclude: ['@huggingface/transformers', 'onnxruntime-web'] },
});
