/**
 * The built-in models' offline cache (src/pwa/modelCache.ts) against fake Cache Storage
 * and fetch: nothing is stored unless its SHA-256 is the index's, a host's fallback page is
 * refused, staleness is decided by hash (not Content-Length), and pruning never drops a
 * file that a load is storing at the same time.
 */
import crypto from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  HASH_HEADER,
  MODEL_CACHE,
  cachedModelFetch,
  fileUrl,
  fillModelCache,
  indexUrl,
  modelCacheStatus,
  pruneStaleModelFiles,
  shareDownloads,
  type ModelIndex,
} from '../../src/pwa/modelCache.ts';

interface Entry {
  body: Uint8Array;
  status: number;
  headers: [string, string][];
}

const keyOf = (req: RequestInfo | URL) => (typeof req === 'string' ? req : req instanceof URL ? req.href : req.url);

/** Cache Storage's Cache, in memory; `pauseNextMatch` holds the next match() until released. */
class FakeCache {
  entries = new Map<string, Entry>();
  private paused: { gate: Promise<void>; reached: () => void } | null = null;

  pauseNextMatch(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const reachedP = new Promise<void>((r) => (reached = r));
    this.paused = { gate, reached };
    return { reached: reachedP, release };
  }

  async match(req: RequestInfo | URL): Promise<Response | undefined> {
    const e = this.entries.get(keyOf(req));
    const res = e ? new Response(e.body.slice(), { status: e.status, headers: e.headers }) : undefined;
    if (this.paused) {
      const p = this.paused;
      this.paused = null;
      p.reached();
      await p.gate;
    }
    return res;
  }

  async put(req: RequestInfo | URL, res: Response): Promise<void> {
    const body = new Uint8Array(await res.arrayBuffer());
    const headers: [string, string][] = [];
    res.headers.forEach((v, k) => headers.push([k, v]));
    this.entries.set(keyOf(req), { body, status: res.status, headers });
  }

  async delete(req: RequestInfo | URL): Promise<boolean> {
    return this.entries.delete(keyOf(req));
  }

  async keys(): Promise<Request[]> {
    return [...this.entries.keys()].map((u) => new Request(u));
  }
}

const enc = (s: string) => new TextEncoder().encode(s);
const sha = (b: Uint8Array) => crypto.createHash('sha256').update(b).digest('hex');

const ENCODER = enc('encoder weights v2');
const CONFIG = enc('{"model_type":"vision-encoder-decoder"}');
const HTML = '<!doctype html><html><body>app</body></html>';

let n = 0;
let root: URL;
let cache: FakeCache;
/** What the fake server answers, by URL; index.json from `index`. */
let server: Map<string, () => Response>;
let index: ModelIndex;
let requests: string[];

function serve(url: string, body: Uint8Array, headers: Record<string, string> = { 'content-type': 'application/octet-stream' }) {
  server.set(url, () => new Response(body.slice(), { status: 200, headers }));
}

beforeEach(() => {
  // a new root per test: the module keeps each root's fresh index for the context's life
  root = new URL(`https://app.test/t${++n}/models/`);
  cache = new FakeCache();
  index = {
    version: 1,
    models: [
      {
        id: 'augmented',
        files: [
          { path: 'onnx/encoder_model.onnx', size: ENCODER.byteLength, sha256: sha(ENCODER) },
          { path: 'config.json', size: CONFIG.byteLength, sha256: sha(CONFIG) },
        ],
      },
    ],
  };
  server = new Map();
  requests = [];
  serve(fileUrl(root, 'augmented', 'onnx/encoder_model.onnx'), ENCODER);
  serve(fileUrl(root, 'augmented', 'config.json'), CONFIG, { 'content-type': 'application/json' });
  vi.stubGlobal('caches', { open: async (name: string) => (expect(name).toBe(MODEL_CACHE), cache) });
  vi.stubGlobal('fetch', async (input: RequestInfo | URL) => {
    const url = keyOf(input);
    requests.push(url);
    if (url === indexUrl(root)) return new Response(JSON.stringify(index), { headers: { 'content-type': 'application/json' } });
    return server.get(url)?.() ?? new Response('not found', { status: 404 });
  });
});

afterEach(() => {
  vi.unstubAllGlobals();
});

const encUrl = () => fileUrl(root, 'augmented', 'onnx/encoder_model.onnx');
const net = (url: string) => () => fetch(url);

describe('cachedModelFetch', () => {
  it('serves a file whose SHA-256 is the index\'s, keeps a copy with that hash, then serves the copy without the network', async () => {
    const url = encUrl();
    const res = await cachedModelFetch(url, net(url), root);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(ENCODER);
    const stored = cache.entries.get(url)!;
    expect(stored.body).toEqual(ENCODER);
    expect(new Headers(stored.headers).get(HASH_HEADER)).toBe(sha(ENCODER));
    expect(new Headers(stored.headers).get('content-length')).toBe(String(ENCODER.byteLength));

    const before = requests.length;
    const again = await cachedModelFetch(`${url}?download=1`, () => Promise.reject(new Error('offline')), root);
    expect(new Uint8Array(await again.arrayBuffer())).toEqual(ENCODER);
    expect(requests.length).toBe(before);
  });

  it("refuses a host's fallback page (text/html, 200) for a listed file with a clear error, and keeps nothing", async () => {
    const url = encUrl();
    server.set(url, () => new Response(HTML, { status: 200, headers: { 'content-type': 'text/html; charset=utf-8' } }));
    const res = await cachedModelFetch(url, net(url), root);
    await expect(res.arrayBuffer()).rejects.toThrow(/augmented\/onnx\/encoder_model\.onnx: the server answered with a web page \(text\/html\)/);
    expect(cache.entries.has(url)).toBe(false);
  });

  it('answers 404 for a fallback page of a file the index does not list (a missing optional file)', async () => {
    const url = fileUrl(root, 'augmented', 'processor_config.json');
    server.set(url, () => new Response(HTML, { status: 200, headers: { 'content-type': 'text/html' } }));
    const res = await cachedModelFetch(url, net(url), root);
    expect(res.status).toBe(404);
    expect(cache.entries.size).toBe(0);
  });

  it('refuses a server error (the error page is not a model file) and passes a 404 through; neither is kept', async () => {
    const url = encUrl();
    server.set(url, () => new Response('upstream down', { status: 503, headers: { 'content-type': 'text/plain' } }));
    const res = await cachedModelFetch(url, net(url), root);
    await expect(res.text()).rejects.toThrow(/answered HTTP 503/);
    server.delete(url);
    expect((await cachedModelFetch(url, net(url), root)).status).toBe(404);
    expect(cache.entries.size).toBe(0);
  });

  it('refuses a file whose SHA-256 is not the one the index lists, and keeps nothing', async () => {
    const url = encUrl();
    serve(url, enc('encoder weights v1 (an old deploy)'));
    const res = await cachedModelFetch(url, net(url), root);
    await expect(res.arrayBuffer()).rejects.toThrow(/is not the file models\/index\.json lists \(SHA-256/);
    expect(cache.entries.has(url)).toBe(false);
  });

  it('replaces a cached copy of a retrained model (its hash is not the index\'s) by the network\'s file', async () => {
    const url = encUrl();
    const old = enc('encoder weights v1');
    cache.entries.set(url, { body: old, status: 200, headers: [[HASH_HEADER, sha(old)]] });
    const res = await cachedModelFetch(url, net(url), root);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(ENCODER);
    expect(cache.entries.get(url)!.body).toEqual(ENCODER);
  });

  it('checks a copy stored without a hash (older versions) before serving it', async () => {
    const url = encUrl();
    cache.entries.set(url, { body: enc(HTML), status: 200, headers: [['content-type', 'text/html']] });
    const res = await cachedModelFetch(url, net(url), root);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(ENCODER);
    expect(requests).toContain(url);
    expect(new Headers(cache.entries.get(url)!.headers).get(HASH_HEADER)).toBe(sha(ENCODER));
  });
});

describe('shareDownloads', () => {
  /** A network whose responses stream their bytes in two chunks, the second when `finish` is called. */
  function slowNetwork() {
    const calls: string[] = [];
    const finishers: (() => void)[] = [];
    const get = async (url: string) => {
      calls.push(url);
      let second!: () => void;
      const gate = new Promise<void>((r) => (second = r));
      finishers.push(second);
      const body = new ReadableStream<Uint8Array>({
        async start(ctl) {
          ctl.enqueue(enc('first half,'));
          await gate;
          ctl.enqueue(enc(' second half'));
          ctl.close();
        },
      });
      return new Response(body, { status: 200, headers: { 'content-length': '23' } });
    };
    return { calls, get, finishAll: () => finishers.forEach((f) => f()) };
  }

  it('sends one request for a file asked for twice while it downloads (a size probe, then the load), and both get the whole file', async () => {
    const net = slowNetwork();
    const fetchShared = shareDownloads(net.get);
    const probe = await fetchShared('/models/m/onnx/a.onnx'); // headers only: transformers.js' size probe
    expect(probe.headers.get('content-length')).toBe('23');
    const load = fetchShared('/models/m/onnx/a.onnx');
    net.finishAll();
    expect(await (await load).text()).toBe('first half, second half');
    expect(await probe.text()).toBe('first half, second half');
    expect(net.calls).toEqual(['/models/m/onnx/a.onnx']);
  });

  it('asks again once a download has been read to the end, and never shares between files', async () => {
    const net = slowNetwork();
    const fetchShared = shareDownloads(net.get);
    const a = fetchShared('/a');
    const b = fetchShared('/b');
    net.finishAll();
    await (await a).text();
    await (await b).text();
    const again = fetchShared('/a');
    net.finishAll();
    expect(await (await again).text()).toBe('first half, second half');
    expect(net.calls).toEqual(['/a', '/b', '/a']);
  });

  it('does not keep a failed download: a request that rejects, or a body that breaks, lets the next caller try again', async () => {
    let n = 0;
    const fetchShared = shareDownloads(async () => {
      n++;
      if (n === 1) throw new TypeError('Failed to fetch');
      if (n === 2) {
        const broken = new ReadableStream<Uint8Array>({
          start(ctl) {
            ctl.enqueue(enc('part'));
            ctl.error(new TypeError('network error'));
          },
        });
        return new Response(broken, { status: 200 });
      }
      return new Response('whole file', { status: 200 });
    });
    await expect(fetchShared('/f')).rejects.toThrow('Failed to fetch');
    await expect((await fetchShared('/f')).text()).rejects.toThrow('network error');
    expect(await (await fetchShared('/f')).text()).toBe('whole file');
    expect(n).toBe(3);
  });
});

describe('pruneStaleModelFiles', () => {
  it('decides by hash, not Content-Length: a good copy served compressed is kept, other copies are dropped', async () => {
    const enc0 = encUrl();
    const cfg = fileUrl(root, 'augmented', 'config.json');
    const gone = fileUrl(root, 'old-model', 'config.json');
    // stored from a gzip response: Content-Length is the compressed size
    cache.entries.set(enc0, { body: ENCODER, status: 200, headers: [['content-length', '7'], [HASH_HEADER, sha(ENCODER)]] });
    cache.entries.set(cfg, { body: enc('{"old":true}'), status: 200, headers: [[HASH_HEADER, sha(enc('{"old":true}'))]] });
    cache.entries.set(gone, { body: CONFIG, status: 200, headers: [[HASH_HEADER, sha(CONFIG)]] });
    const dropped = await pruneStaleModelFiles(root, index);
    expect(dropped.sort()).toEqual([cfg, gone].sort());
    expect(cache.entries.get(enc0)!.body).toEqual(ENCODER);
    expect(JSON.parse(new TextDecoder().decode(cache.entries.get(indexUrl(root))!.body))).toEqual(index);
  });

  it('hashes a copy stored without a hash: kept (and given one) when right, dropped when not', async () => {
    const enc0 = encUrl();
    const cfg = fileUrl(root, 'augmented', 'config.json');
    cache.entries.set(enc0, { body: ENCODER, status: 200, headers: [] });
    cache.entries.set(cfg, { body: enc(HTML), status: 200, headers: [['content-type', 'text/html']] });
    expect(await pruneStaleModelFiles(root, index)).toEqual([cfg]);
    expect(new Headers(cache.entries.get(enc0)!.headers).get(HASH_HEADER)).toBe(sha(ENCODER));
  });

  it('keeps the file a first load just stored even when the recorded index is an older one', async () => {
    const url = encUrl();
    const old = enc('encoder weights v1');
    const oldIndex: ModelIndex = { version: 1, models: [{ id: 'augmented', files: [{ ...index.models[0].files[0], sha256: sha(old) }] }] };
    cache.entries.set(indexUrl(root), { body: enc(JSON.stringify(oldIndex)), status: 200, headers: [['content-type', 'application/json']] });
    await (await cachedModelFetch(url, net(url), root)).arrayBuffer();
    expect(await pruneStaleModelFiles(root, index)).toEqual([]);
    expect(cache.entries.get(url)!.body).toEqual(ENCODER);
  });

  it('does not drop a file that a load stores while pruning runs: they take turns', async () => {
    const url = encUrl();
    const old = enc('encoder weights v1');
    cache.entries.set(url, { body: old, status: 200, headers: [[HASH_HEADER, sha(old)]] });
    // pruning reads the stale copy, and is held there while a load runs
    const pause = cache.pauseNextMatch();
    const pruning = pruneStaleModelFiles(root, index);
    await pause.reached;
    const loading = cachedModelFetch(url, net(url), root).then((r) => r.arrayBuffer());
    await new Promise((r) => setTimeout(r, 20));
    pause.release();
    await pruning;
    expect(new Uint8Array(await loading)).toEqual(ENCODER);
    expect(cache.entries.get(url)?.body).toEqual(ENCODER);
  });
});

describe('fillModelCache and modelCacheStatus', () => {
  it('stores every listed file, checked; counts only copies with the listed hash', async () => {
    const cfg = fileUrl(root, 'augmented', 'config.json');
    cache.entries.set(cfg, { body: enc('{"old":true}'), status: 200, headers: [[HASH_HEADER, sha(enc('{"old":true}'))]] });
    expect((await modelCacheStatus(root, index)).cachedFiles).toBe(0);
    const done = await fillModelCache(root, index, () => undefined);
    expect(done).toMatchObject({ files: 2, cachedFiles: 2, cachedBytes: ENCODER.byteLength + CONFIG.byteLength });
    expect(cache.entries.get(cfg)!.body).toEqual(CONFIG);
    expect((await modelCacheStatus(root, index)).cachedFiles).toBe(2);
  });

  it("refuses a fallback page or a different file instead of a model file, keeping what was stored before", async () => {
    const cfg = fileUrl(root, 'augmented', 'config.json');
    server.set(cfg, () => new Response(HTML, { status: 200, headers: { 'content-type': 'text/html' } }));
    await expect(fillModelCache(root, index, () => undefined)).rejects.toThrow(/web page \(text\/html\)/);
    expect(cache.entries.has(encUrl())).toBe(true);
    expect(cache.entries.has(cfg)).toBe(false);
    serve(cfg, enc('{"truncated":'), { 'content-type': 'application/json' });
    await expect(fillModelCache(root, index, () => undefined)).rejects.toThrow(/SHA-256/);
    expect(cache.entries.has(cfg)).toBe(false);
  });
});
