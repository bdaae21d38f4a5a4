/**
 * First visit with an empty cache, for npm run bench (`npm run bench -- --only cold` runs this
 * part alone): the built app served the way a static host serves it, over a slow network, in a
 * fresh Chromium context each time (no HTTP cache, no service worker yet).
 *
 * - The host: a small static server over the build folder (dist/ by default): the headers of its
 *   _headers file (cross-origin isolation, CSP, caching; the file itself is not served), the
 *   right Content-Type, and brotli (quality 11) or gzip (level 9) Content-Encoding, whichever
 *   the browser accepts (brotli first), for text, JS, CSS, JSON, SVG, .wasm and .onnx.
 *   Each file is compressed once and kept in .cache/bench-cold (keyed by its SHA-256).
 * - The network: the server paces its own writes. Every response waits one round trip (plus
 *   one more on a new connection: the TCP handshake; plus the request's bytes at the upload
 *   rate) before its first byte, then its headers and body cross one shared downlink of the
 *   given rate in 16 KiB pieces, in turn with the other responses under way. Pacing at the
 *   server covers every requester: Chromium's DevTools throttling
 *   (Network.emulateNetworkConditions on the page) slows the page and its dedicated workers,
 *   but not the service worker (measured with Chromium 156: 4 MB fetched in 41 ms from the
 *   service worker against 1.8 s from the page and 1.9 s from a worker at 20 Mbit/s), and the
 *   service worker's precache is exactly what competes with the first prediction here.
 * - The first prediction: the app opened on a built-in example by permalink (as the warm
 *   first-prediction bench does, cli/bench-browser.ts): both panes recognise it at once. Its
 *   time is the page's own `__firstPredictionMs` (from navigation start, ?bench=1).
 * - Bytes: what the server sent (compressed bodies and response headers) up to that moment,
 *   by type and by requester (the service worker's precache or the app), and in all once the
 *   service worker is installed and the network quiet. Each setting also runs with service
 *   workers blocked: what the first visit costs without the precache competing.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser } from 'playwright-core';
import { encodePermalink } from '../src/research/permalink.ts';
import type {} from '../src/app/bench.ts'; // window.__firstPredictionMs

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------- pure helpers (tests/unit)

export type Kind = 'wasm' | 'onnx' | 'js' | 'css' | 'other';
export const KINDS: readonly Kind[] = ['wasm', 'onnx', 'js', 'css', 'other'];

export function kindOf(pathname: string): Kind {
  const ext = path.posix.extname(pathname).toLowerCase();
  if (ext === '.wasm') return 'wasm';
  if (ext === '.onnx') return 'onnx';
  if (ext === '.js' || ext === '.mjs') return 'js';
  if (ext === '.css') return 'css';
  return 'other';
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.jsonl': 'application/jsonl',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
  '.onnx': 'application/octet-stream',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.md': 'text/markdown; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(pathname: string): string {
  return CONTENT_TYPES[path.posix.extname(pathname).toLowerCase()] ?? 'application/octet-stream';
}

/** Worth compressing: text formats, .wasm and .onnx; not PNG or woff/woff2 (compressed already). */
export function compressible(pathname: string): boolean {
  return /\.(html|m?js|css|json|jsonl|webmanifest|svg|md|txt|ttf|wasm|onnx)$/i.test(pathname);
}

export type Encoding = 'br' | 'gzip' | 'identity';

/** The encoding for an Accept-Encoding header: brotli if accepted, else gzip, else none. */
export function pickEncoding(accept: string | undefined): Encoding {
  const offered = new Map<string, number>();
  for (const part of (accept ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find((m) => m);
    offered.set(name, q ? Number(q[1]) : 1);
  }
  const ok = (e: string) => (offered.get(e) ?? offered.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : 'identity';
}

export interface HeaderRule {
  pattern: string;
  headers: [string, string][];
}

/** A static host's _headers file (Netlify / Cloudflare Pages): a path line, then indented "Name: value" lines. */
export function parseHeadersFile(text: string): HeaderRule[] {
  const rules: HeaderRule[] = [];
  for (const line of text.split(/\r?\n/)) {
    if (!line.trim() || line.trim().startsWith('#')) continue;
    if (!/^\s/.test(line)) rules.push({ pattern: line.trim(), headers: [] });
    else {
      const m = /^\s+([^:\s]+)\s*:\s*(.*)$/.exec(line);
      if (m && rules.length) rules[rules.length - 1].headers.push([m[1], m[2].trim()]);
    }
  }
  return rules;
}

/** The headers for a path: every matching rule in file order ("*" matches anything), a later one overriding an earlier one's header. */
export function headersFor(pathname: string, rules: HeaderRule[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const r of rules) {
    const re = new RegExp(`^${r.pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
    if (re.test(pathname)) for (const [k, v] of r.headers) out[k] = v;
  }
  return out;
}

/** Network shape: rates in Mbit/s (10^6 bits), round trip in ms. */
export interface NetworkShape {
  downMbps: number;
  upMbps: number;
  rttMs: number;
}

/** Bytes per millisecond for a rate in Mbit/s. */
export const bytesPerMs = (mbps: number) => (mbps * 1e6) / 8 / 1000;

/**
 * One shared link: pieces cross it one after another at its rate. reserve() books the next
 * free slot for `bytes` ready at `now` and returns when its last byte is across.
 */
export class Link {
  private freeAt = -Infinity;
  constructor(private readonly rateBytesPerMs: number) {}
  reserve(bytes: number, now: number): number {
    const start = Math.max(now, this.freeAt);
    this.freeAt = start + bytes / this.rateBytesPerMs;
    return this.freeAt;
  }
}

/** Wait before a response's first byte: the round trip, the TCP handshake's on a new connection, and the request's bytes going up. */
export function responseDelayMs(net: NetworkShape, requestBytes: number, newConnection: boolean): number {
  return net.rttMs * (newConnection ? 2 : 1) + requestBytes / bytesPerMs(net.upMbps);
}

/** Bytes of an HTTP/1.1 request head as sent: request line, "Name: value" lines, blank line. */
export function requestHeadBytes(method: string, url: string, rawHeaders: string[]): number {
  let n = `${method} ${url} HTTP/1.1\r\n`.length + 2;
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) n += Buffer.byteLength(`${rawHeaders[i]}: ${rawHeaders[i + 1]}\r\n`);
  return n;
}

/** What one response sent, and when each piece of it was across the link. */
export interface Served {
  path: string;
  kind: Kind;
  requester: 'app' | 'sw';
  /** Epoch ms when the request arrived. */
  arrived: number;
  status: number;
  encoding: Encoding;
  /** The file's own size. */
  rawBytes: number;
  /** The body as sent (compressed where it was). */
  bodyBytes: number;
  /** The body had it been gzip -9 (the same as bodyBytes when not compressed). */
  gzipBytes: number;
  headerBytes: number;
  /** Epoch ms when the response's headers were across. */
  headersAt: number | null;
  /** [epoch ms when across, bytes] for each piece of the body. */
  chunks: [number, number][];
}

export interface Tally {
  /** Responses that had begun (headers across). */
  requests: number;
  bytes: number;
  byKind: Record<Kind, number>;
  /** Of `bytes`, those of the service worker's own requests (its precache). */
  swBytes: number;
  /** `bytes` had every compressed body been gzip -9 instead. */
  gzipBytes: number;
}

/** Bytes sent up to `until` (epoch ms): headers and body pieces across by then. */
export function tally(served: Served[], until = Infinity): Tally {
  const t: Tally = { requests: 0, bytes: 0, byKind: { wasm: 0, onnx: 0, js: 0, css: 0, other: 0 }, swBytes: 0, gzipBytes: 0 };
  for (const s of served) {
    if (s.headersAt === null || s.headersAt > until) continue;
    let body = 0;
    for (const [at, n] of s.chunks) if (at <= until) body += n;
    const n = s.headerBytes + body;
    t.requests++;
    t.bytes += n;
    t.byKind[s.kind] += n;
    if (s.requester === 'sw') t.swBytes += n;
    t.gzipBytes += s.headerBytes + (s.bodyBytes ? (body * s.gzipBytes) / s.bodyBytes : 0);
  }
  t.gzipBytes = Math.round(t.gzipBytes);
  return t;
}

/**
 * Marks the responses the service worker asked for. Chromium (through Playwright) reports every
 * request, the page's, its workers' and the service worker's, also those the HTTP cache answered
 * (which never reach the server); the server knows when each of its requests arrived. Each
 * response goes to the request of the same path reported nearest in time (pairs taken closest
 * first): when the app and the service worker both ask for a file (the precache wants
 * index.html, the app's scripts, onnxruntime's .wasm), the one the server answered is whichever
 * asked at that moment, and the other's came from the cache. A response no request matches
 * stays the app's.
 */
export function markServiceWorker(served: Served[], requests: { path: string; at: number; sw: boolean }[]): void {
  const pairs: { s: Served; r: (typeof requests)[number]; d: number }[] = [];
  for (const s of served) for (const r of requests) if (r.path === s.path) pairs.push({ s, r, d: Math.abs(s.arrived - r.at) });
  pairs.sort((a, b) => a.d - b.d);
  const doneS = new Set<Served>();
  const doneR = new Set<(typeof requests)[number]>();
  for (const { s, r } of pairs) {
    if (doneS.has(s) || doneR.has(r)) continue;
    doneS.add(s);
    doneR.add(r);
    s.requester = r.sw ? 'sw' : 'app';
  }
}

export interface Milestones {
  /** The page's entry script (assets/index-*.js) fully arrived. */
  entryDone: number | null;
  /** The OCR worker's script (assets/ocr.worker-*.js) asked for: the worker starts. */
  workerAsked: number | null;
  /** The first model file (.onnx) asked for, and the last one fully arrived. */
  modelAsked: number | null;
  modelDone: number | null;
  /** onnxruntime's WASM build (assets/ort-wasm-simd-threaded-*.wasm, the plain one) asked for and fully arrived. */
  wasmAsked: number | null;
  wasmDone: number | null;
}

/** When each link of the first prediction's chain happened, ms after `origin` (navigation start, epoch ms), whoever asked. */
export function milestonesOf(served: Served[], origin: number): Milestones {
  const pick = (re: RegExp) => served.filter((s) => re.test(s.path) && s.status === 200);
  const since = (t: number) => Math.round(t - origin);
  const asked = (ss: Served[]) => (ss.length ? since(Math.min(...ss.map((s) => s.arrived))) : null);
  const done = (ss: Served[]) => {
    const ends = ss.map((s) => (s.chunks.length && s.chunks.reduce((a, [, n]) => a + n, 0) === s.bodyBytes ? s.chunks[s.chunks.length - 1][0] : null));
    return ends.length && ends.every((e) => e !== null) ? since(Math.max(...(ends as number[]))) : null;
  };
  // each file once: the first response of it (the cache answered any later asking)
  const firstOf = (ss: Served[]) => {
    const m = new Map<string, Served>();
    for (const s of [...ss].sort((a, b) => a.arrived - b.arrived)) if (!m.has(s.path)) m.set(s.path, s);
    return [...m.values()];
  };
  const entry = firstOf(pick(/^\/assets\/index-[\w-]+\.js$/));
  const model = firstOf(pick(/\.onnx$/));
  const wasm = firstOf(pick(/^\/assets\/ort-wasm-simd-threaded-[\w-]+\.wasm$/));
  return {
    entryDone: done(entry),
    workerAsked: asked(pick(/^\/assets\/ocr\.worker-[\w-]+\.js$/)),
    modelAsked: asked(model),
    modelDone: done(model),
    wasmAsked: asked(wasm),
    wasmDone: done(wasm),
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  if (!s.length) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** The run at the median of `key` (the lower middle one for an even count): its breakdown is shown. */
export function medianRun<T>(runs: T[], key: (r: T) => number): T {
  const s = [...runs].sort((a, b) => key(a) - key(b));
  return s[Math.floor((s.length - 1) / 2)];
}

// ---------------------------------------------------------------- the static host

const CHUNK = 16 * 1024;
/** Behind schedule by more than this after waiting for the browser to read: it stalled, the schedule restarts from now. */
const STALL_MS = 100;
const MAX_BUFFERED = 256 * 1024;
const BROTLI = { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_LGWIN]: 24 };
const brotli = promisify(zlib.brotliCompress);
const gzip = promisify(zlib.gzip);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, Math.max(0, ms)));
const epoch = () => performance.timeOrigin + performance.now();

/** Resolves when the response can take more (or is gone), leaving no listener behind. */
function drained(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Each file compressed once (brotli 11 and gzip 9), kept in memory and in .cache/bench-cold by content hash. */
class Compressed {
  private memo = new Map<string, Promise<{ raw: Buffer; br: Buffer; gzip: Buffer }>>();
  /** Files compressed while a measured run was waiting (should be none: the warm-up visit compresses them). */
  lateCompressions = 0;
  measuring = false;
  constructor(private readonly cacheDir: string) {}

  get(file: string): Promise<{ raw: Buffer; br: Buffer; gzip: Buffer }> {
    let p = this.memo.get(file);
    if (!p) {
      if (this.measuring) this.lateCompressions++;
      p = this.load(file);
      this.memo.set(file, p);
    }
    return p;
  }

  private async load(file: string) {
    const raw = await fs.promises.readFile(file);
    const hash = crypto.createHash('sha256').update(raw).digest('hex');
    const one = async (ext: string, make: () => Promise<Buffer>) => {
      const p = path.join(this.cacheDir, `${hash}.${ext}`);
      if (fs.existsSync(p)) return fs.promises.readFile(p);
      const b = await make();
      await fs.promises.mkdir(this.cacheDir, { recursive: true });
      await fs.promises.writeFile(p, b);
      return b;
    };
    const [br, gz] = await Promise.all([
      one('br11', () => brotli(raw, { params: { ...BROTLI, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })),
      one('gz9', () => gzip(raw, { level: 9 })),
    ]);
    return { raw, br, gzip: gz };
  }
}

export interface StaticHost {
  url: string;
  /** The responses since the last reset. */
  served: Served[];
  reset(): void;
  /** Pacing on (a network shape) or off (null). */
  shape(net: NetworkShape | null): void;
  /** Responses still being sent. */
  active(): number;
  compressed: Compressed;
  close(): Promise<void>;
}

export async function startStaticHost(dir: string): Promise<StaticHost> {
  const headersFile = [path.join(dir, '_headers'), path.join(ROOT, 'public', '_headers')].find((f) => fs.existsSync(f));
  const rules = headersFile ? parseHeadersFile(fs.readFileSync(headersFile, 'utf8')) : [];
  const compressed = new Compressed(path.join(ROOT, '.cache', 'bench-cold'));
  let served: Served[] = [];
  let net: NetworkShape | null = null;
  let link: Link | null = null;
  let active = 0;
  const seenSockets = new WeakSet<object>();

  const server = http.createServer((req, res) => {
    const arrived = epoch();
    const newConnection = !seenSockets.has(req.socket);
    seenSockets.add(req.socket);
    active++;
    res.on('close', () => active--);
    void (async () => {
      const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const rel = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
      const file = path.join(dir, rel);
      const ok = (req.method === 'GET' || req.method === 'HEAD') && file.startsWith(path.resolve(dir) + path.sep) && path.basename(file) !== '_headers' && fs.existsSync(file) && fs.statSync(file).isFile();
      const headers: Record<string, string> = { ...headersFor(pathname, rules) };
      let body: Buffer;
      let encoding: Encoding = 'identity';
      let rawBytes = 0;
      let gzipBytes = 0;
      if (ok) {
        headers['Content-Type'] = contentTypeOf(file);
        if (compressible(file)) {
          const c = await compressed.get(file);
          encoding = pickEncoding(req.headers['accept-encoding']);
          body = encoding === 'br' ? c.br : encoding === 'gzip' ? c.gzip : c.raw;
          if (body.length >= c.raw.length) [body, encoding] = [c.raw, 'identity'];
          rawBytes = c.raw.length;
          gzipBytes = Math.min(c.gzip.length, c.raw.length);
          headers.Vary = 'Accept-Encoding';
          if (encoding !== 'identity') headers['Content-Encoding'] = encoding;
        } else {
          body = await fs.promises.readFile(file);
          rawBytes = gzipBytes = body.length;
        }
      } else {
        body = Buffer.from('not found');
        headers['Content-Type'] = 'text/plain; charset=utf-8';
        rawBytes = gzipBytes = body.length;
      }
      headers['Content-Length'] = String(body.length);
      const rec: Served = {
        path: pathname,
        kind: kindOf(pathname),
        requester: 'app',
        arrived,
        status: ok ? 200 : 404,
        encoding,
        rawBytes,
        bodyBytes: body.length,
        gzipBytes,
        headerBytes: 0,
        headersAt: null,
        chunks: [],
      };
      served.push(rec);
      const shape = net;
      const wire = link;
      if (shape) await sleep(responseDelayMs(shape, requestHeadBytes(req.method ?? 'GET', req.url ?? '/', req.rawHeaders), newConnection));
      if (res.destroyed) return;
      res.writeHead(rec.status, headers);
      // the status line and headers as Node will write them (set by writeHead), else an estimate
      const head = (res as unknown as { _header?: string })._header;
      rec.headerBytes = head ? Buffer.byteLength(head) : 200 + Object.entries(headers).reduce((a, [k, v]) => a + k.length + v.length + 4, 0);
      // Each piece is booked on the link from when the previous one was due, not from when the
      // timer actually fired: a late timer delays a write, never the link's schedule, so the
      // rate holds on a busy machine. Only a browser that stops reading for a while resets it.
      let ready = performance.now();
      const pace = async (bytes: number) => {
        if (!wire) return;
        const at = wire.reserve(bytes, ready);
        // behind schedule (a busy machine): write at once, without an event-loop turn per piece
        if (at > performance.now() + 1) await sleep(at - performance.now());
        ready = at;
      };
      await pace(rec.headerBytes);
      rec.headersAt = epoch();
      if (req.method === 'HEAD') return void res.end();
      for (let o = 0; o < body.length && !res.destroyed; o += CHUNK) {
        const piece = body.subarray(o, o + CHUNK);
        await pace(piece.length);
        if (res.destroyed) break;
        res.write(piece);
        rec.chunks.push([epoch(), piece.length]);
        // the socket's buffer is the sender's: wait only when the browser lets it grow
        if (res.writableLength > MAX_BUFFERED) {
          await drained(res);
          // a browser that stopped reading (flow control) holds this response back for real
          if (performance.now() - ready > STALL_MS) ready = performance.now();
        }
      }
      res.end();
    })().catch((e) => {
      console.error(`static host: ${req.url}: ${e instanceof Error ? e.message : e}`);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get served() {
      return served;
    },
    reset: () => void (served = []),
    shape(n) {
      net = n;
      link = n ? new Link(bytesPerMs(n.downMbps)) : null;
    },
    active: () => active,
    compressed,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

// ---------------------------------------------------------------- the browser

export interface ColdRun {
  /** Navigation start to the first prediction on screen, ms. */
  ms: number;
  /** Bytes sent up to then, and their breakdown. */
  upToFirst: Tally;
  /** When the service worker was active (precache done), ms from navigation start; null when blocked. */
  swReadyMs: number | null;
  /** Everything the first visit sent, once the service worker was installed and the network quiet. */
  all: Tally;
  /** The chain the first prediction waits on, ms from navigation start (null: not seen by then). */
  milestones: Milestones;
  /** The largest responses up to the first prediction: bytes sent by then; when each was asked for and when its last byte was across (null: not all of it by then), ms from navigation start. */
  largest: { path: string; requester: 'app' | 'sw'; bytes: number; rawBytes: number; startMs: number; doneMs: number | null }[];
  encodings: Partial<Record<Encoding, number>>;
}

export interface ColdVariant {
  runs: ColdRun[];
  medianMs: number;
  medianBytes: number;
  /** The run with the median time: its breakdown and timeline are shown. */
  breakdown: ColdRun;
}

export interface ColdResult {
  date: string;
  dist: string;
  /** The app's entry script in that build (which build was measured). */
  entry: string | null;
  network: NetworkShape & { how: string };
  serviceWorker: ColdVariant;
  serviceWorkerBlocked: ColdVariant;
  /** Sizes of onnxruntime's WASM build as served, for the report. */
  wasm: { path: string; rawBytes: number; brBytes: number; gzipBytes: number } | null;
  lateCompressions: number;
  /** The machine's 1-minute load average as the measured runs began and ended (shared cores: the CPU-bound part of a first visit depends on it). */
  loadavg: [number, number];
}

export const COLD_NETWORK: NetworkShape = { downMbps: 20, upMbps: 5, rttMs: 40 };

/** As the warm bench (cli/bench-browser.ts); the app's "auto" device stays on WASM with SwiftShader's WebGPU. */
const ARGS = ['--no-sandbox', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-angle=swiftshader', '--use-webgpu-adapter=swiftshader'];

async function visit(browser: Browser, host: StaticHost, url: string, serviceWorker: boolean, timeoutMs: number): Promise<ColdRun> {
  const ctx = await browser.newContext({ serviceWorkers: serviceWorker ? 'allow' : 'block' });
  const requests: { path: string; at: number; sw: boolean }[] = [];
  ctx.on('request', (r) => requests.push({ path: new URL(r.url()).pathname, at: epoch(), sw: !!r.serviceWorker() }));
  host.reset();
  try {
    const page = await ctx.newPage();
    await page.goto(url, { waitUntil: 'commit', timeout: timeoutMs });
    await page.waitForFunction(() => typeof window.__firstPredictionMs === 'number', undefined, { timeout: timeoutMs });
    const first = await page.evaluate(() => ({ ms: window.__firstPredictionMs!, origin: performance.timeOrigin }));
    let swReadyMs: number | null = null;
    if (serviceWorker) {
      swReadyMs = await page.evaluate(
        (t) =>
          Promise.race([
            navigator.serviceWorker.ready.then(() => performance.now()),
            new Promise<null>((r) => setTimeout(() => r(null), t)),
          ]),
        Math.min(timeoutMs, 120_000),
      );
    }
    // the rest of the visit: the other pane, the precache; quiet for half a second
    for (let quiet = 0, waited = 0; quiet < 500 && waited < timeoutMs; waited += 50) {
      await sleep(50);
      quiet = host.active() ? 0 : quiet + 50;
    }
    const served = host.served;
    markServiceWorker(served, requests);
    const at = first.origin + first.ms;
    const encodings: Partial<Record<Encoding, number>> = {};
    for (const s of served) if (s.headersAt !== null && s.headersAt <= at) encodings[s.encoding] = (encodings[s.encoding] ?? 0) + 1;
    const since = (t: number) => Math.round(t - first.origin);
    const largest = served
      .map((s) => {
        const sent = s.chunks.filter(([t]) => t <= at);
        const done = s.headersAt !== null && sent.length === s.chunks.length && s.chunks.length > 0;
        return { path: s.path, requester: s.requester, bytes: tally([s], at).bytes, rawBytes: s.rawBytes, startMs: since(s.arrived), doneMs: done ? since(s.chunks[s.chunks.length - 1][0]) : null };
      })
      .filter((s) => s.bytes > 0)
      .sort((a, b) => b.bytes - a.bytes)
      .slice(0, 8);
    const milestones = milestonesOf(served, first.origin);
    return { ms: Math.round(first.ms), milestones, upToFirst: tally(served, at), swReadyMs: swReadyMs === null ? null : Math.round(swReadyMs), all: tally(served), largest, encodings };
  } finally {
    await ctx.close();
  }
}

function variant(runs: ColdRun[]): ColdVariant {
  return { runs, medianMs: Math.round(median(runs.map((r) => r.ms))), medianBytes: Math.round(median(runs.map((r) => r.upToFirst.bytes))), breakdown: medianRun(runs, (r) => r.ms) };
}

export async function benchCold(opts: { dist?: string; runs?: number; network?: NetworkShape; log?: (s: string) => void } = {}): Promise<ColdResult> {
  const dist = path.resolve(ROOT, opts.dist ?? 'dist');
  const runs = opts.runs ?? 3;
  const network = opts.network ?? COLD_NETWORK;
  const log = opts.log ?? ((s: string) => console.error(s));
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`no build in ${dist}: run npx vite build (--outDir ${path.relative(ROOT, dist)}) first`);
  const entry = /src="\/?assets\/(index-[\w-]+\.js)"/.exec(fs.readFileSync(path.join(dist, 'index.html'), 'utf8'))?.[1] ?? null;
  const host = await startStaticHost(dist);
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: ARGS });
  const url = `${host.url}/?bench=1#${encodePermalink({ image: { kind: 'example', id: 'pythagoras' } })}`;
  try {
    // warm-up, unpaced: the server compresses every file a first visit asks for (once; kept in .cache/bench-cold)
    log(`cold: ${path.relative(ROOT, dist) || '.'} (${entry}) at ${host.url}; warm-up visit (compresses files on first use, minutes the first time)`);
    host.shape(null);
    const t0 = Date.now();
    await visit(browser, host, url, true, 900_000);
    log(`cold: warm-up done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    host.shape(network);
    host.compressed.measuring = true;
    const loadBefore = os.loadavg()[0];
    const withSw: ColdRun[] = [];
    const blocked: ColdRun[] = [];
    // alternating, so that a slow spell of this shared machine falls on both
    for (let r = 0; r < runs; r++) {
      for (const sw of [true, false]) {
        const run = await visit(browser, host, url, sw, 180_000);
        (sw ? withSw : blocked).push(run);
        log(`cold run ${r + 1} (service worker ${sw ? 'allowed' : 'blocked'}): first prediction ${run.ms} ms, ${(run.upToFirst.bytes / 1e6).toFixed(2)} MB (${run.upToFirst.requests} responses, ${(run.upToFirst.swBytes / 1e6).toFixed(2)} MB of them the service worker's); in all ${(run.all.bytes / 1e6).toFixed(2)} MB${run.swReadyMs !== null ? `, service worker ready at ${run.swReadyMs} ms` : ''}`);
      }
    }
    host.compressed.measuring = false;
    const wasmFile = fs.readdirSync(path.join(dist, 'assets')).find((f) => /^ort-wasm-simd-threaded-[\w-]+\.wasm$/.test(f));
    const wasm = wasmFile ? await host.compressed.get(path.join(dist, 'assets', wasmFile)) : null;
    return {
      date: new Date().toISOString(),
      dist: path.relative(ROOT, dist) || '.',
      entry,
      network: { ...network, how: 'paced by the static server: one shared downlink, a round trip before each response (two on a new connection)' },
      serviceWorker: variant(withSw),
      serviceWorkerBlocked: variant(blocked),
      wasm: wasm && wasmFile ? { path: `/assets/${wasmFile}`, rawBytes: wasm.raw.length, brBytes: wasm.br.length, gzipBytes: wasm.gzip.length } : null,
      lateCompressions: host.compressed.lateCompressions,
      loadavg: [Math.round(loadBefore * 10) / 10, Math.round(os.loadavg()[0] * 10) / 10],
    };
  } finally {
    await browser.close();
    await host.close();
  }
}
