import { describe, expect, it } from 'vitest';
import { ModelLoadError, OcrRouter, type OrtBuild } from '../../src/worker-api/router.ts';
import { chooseDevice, defaultWasmThreads, NO_GPU, probeGpu, type GpuInfo } from '../../src/model/device.ts';
import { AbortedError, WorkerFailure, type OcrClient } from '../../src/worker-api/client.ts';
import type { LoadRequest, RecognizeRequest } from '../../src/worker-api/ocr.ts';

const HARDWARE: GpuInfo = { webgpu: true, shaderF16: true, software: false };
const SOFTWARE: GpuInfo = { webgpu: true, shaderF16: false, software: true };

/** A stand-in for one worker's client: records what it was sent. */
function fakeClient(build: OrtBuild, log: string[]) {
  const c = {
    restarts: 0,
    registered: [] as string[],
    async load(req: LoadRequest) {
      log.push(`${build}:load:${req.device}`);
      return { key: `k|${req.device}`, device: req.device, dtype: 'q8', loadMs: 1, prepare: null };
    },
    async recognize(req: RecognizeRequest) {
      log.push(`${build}:recognize:${req.device}`);
      return { latex: 'x', tokens: [], ms: 1, device: req.device, dtype: 'q8', truncated: false, modelInput: req.image };
    },
    async registerUserFiles(id: string) {
      c.registered.push(id);
      return { missing: [] };
    },
    async devices() {
      return { webgpu: false, shaderF16: false, threads: 2, crossOriginIsolated: true, runtime: build === 'wasm' ? 'plain' : 'jspi' };
    },
    async fault(kind: string) {
      log.push(`${build}:fault:${kind}`);
    },
    dispose() {
      log.push(`${build}:dispose`);
    },
  };
  return c;
}

function router(gpu: GpuInfo | (() => Promise<GpuInfo>)) {
  const log: string[] = [];
  const clients = new Map<OrtBuild, ReturnType<typeof fakeClient>>();
  let probes = 0;
  const r = new OcrRouter({
    createClient: (build) => {
      const c = fakeClient(build, log);
      clients.set(build, c);
      return c as unknown as OcrClient;
    },
    gpu: () => {
      probes++;
      return typeof gpu === 'function' ? gpu() : Promise.resolve(gpu);
    },
  });
  return { r, log, clients, probes: () => probes };
}

const source = { kind: 'builtin' as const, id: 'augmented' };
const image = { width: 1, height: 1, data: new Uint8ClampedArray(4) };

describe('chooseDevice (one rule for the page and the worker)', () => {
  it('auto takes a hardware adapter, skips a software one and says why', () => {
    expect(chooseDevice('auto', HARDWARE, 'wasm')).toEqual({ device: 'webgpu' });
    expect(chooseDevice('auto', SOFTWARE, 'wasm')).toEqual({ device: 'wasm', note: expect.stringMatching(/software one \(no GPU\): ran on WASM/) });
    expect(chooseDevice('auto', NO_GPU, 'wasm')).toEqual({ device: 'wasm' });
  });
  it('an explicit WebGPU uses even a software adapter, and reports a missing one', () => {
    expect(chooseDevice('webgpu', SOFTWARE, 'wasm')).toEqual({ device: 'webgpu' });
    expect(chooseDevice('webgpu', NO_GPU, 'cpu')).toEqual({ device: 'cpu', note: 'No WebGPU adapter: ran on CPU instead.' });
  });
  it('WASM is WASM, or the CPU in Node', () => {
    expect(chooseDevice('wasm', HARDWARE, 'wasm')).toEqual({ device: 'wasm' });
    expect(chooseDevice('wasm', HARDWARE, 'cpu')).toEqual({ device: 'cpu' });
  });
});

describe('defaultWasmThreads (onnxruntime-web\'s own default)', () => {
  it('half the cores, at least 1, at most 4', () => {
    expect([0, 1, 2, 3, 4, 8, 16].map(defaultWasmThreads)).toEqual([1, 1, 1, 2, 2, 4, 4]);
  });
});

describe('probeGpu', () => {
  const adapter = (info: Record<string, unknown>, features: string[] = []) => ({ gpu: { requestAdapter: async () => ({ features: new Set(features), info }) } });
  it('tells SwiftShader from a GPU, and reads shader-f16', async () => {
    expect(await probeGpu(adapter({ architecture: 'swiftshader', vendor: 'google' }))).toEqual({ webgpu: true, shaderF16: false, software: true });
    expect(await probeGpu(adapter({ isFallbackAdapter: true }))).toMatchObject({ software: true });
    expect(await probeGpu(adapter({ vendor: 'nvidia', architecture: 'ampere' }, ['shader-f16']))).toEqual({ webgpu: true, shaderF16: true, software: false });
  });
  it('no navigator.gpu, no adapter, or a throwing one: no WebGPU', async () => {
    expect(await probeGpu(undefined)).toEqual(NO_GPU);
    expect(await probeGpu({})).toEqual(NO_GPU);
    expect(await probeGpu({ gpu: { requestAdapter: async () => null } })).toEqual(NO_GPU);
    expect(await probeGpu({ gpu: { requestAdapter: async () => Promise.reject(new Error('blocked')) } })).toEqual(NO_GPU);
  });
});

describe('OcrRouter', () => {
  it('sends WASM requests to the plain-WASM worker without waiting for the adapter', async () => {
    const never = () => new Promise<GpuInfo>(() => undefined);
    const { r, log, probes } = router(never);
    const m = await r.load({ source, device: 'wasm' });
    expect(m.device).toBe('wasm');
    expect(m.fallbackReason).toBeUndefined();
    expect(log).toEqual(['wasm:load:wasm']);
    expect(probes()).toBe(0);
  });

  it('auto with only a software adapter: the WASM worker, with the reason', async () => {
    const { r, log, clients } = router(SOFTWARE);
    const { prediction, note } = await r.job({ source, device: 'auto', image });
    expect(log).toEqual(['wasm:load:wasm', 'wasm:recognize:wasm']);
    expect(prediction.fallbackReason).toMatch(/software one/);
    expect(note).toMatch(/software one/);
    expect(clients.has('webgpu')).toBe(false);
  });

  it('auto on a GPU, and an explicit WebGPU: the WebGPU worker, given a concrete device', async () => {
    const { r, log } = router(HARDWARE);
    await r.load({ source, device: 'auto' });
    await r.job({ source, device: 'webgpu', image });
    expect(log).toEqual(['webgpu:load:webgpu', 'webgpu:load:webgpu', 'webgpu:recognize:webgpu']);
  });

  it('WebGPU without an adapter runs on WASM and says so', async () => {
    const { r, log } = router(NO_GPU);
    const m = await r.load({ source, device: 'webgpu' });
    expect(log).toEqual(['wasm:load:wasm']);
    expect(m.fallbackReason).toBe('No WebGPU adapter: ran on WASM instead.');
  });

  it('a worker reason (WebGPU failed at load) wins over the routing note', async () => {
    const { r, clients } = router(SOFTWARE);
    await r.load({ source, device: 'webgpu' });
    const c = clients.get('webgpu')!;
    c.load = async () => ({ key: 'k', device: 'wasm', dtype: 'q8', loadMs: 1, prepare: null, fallbackReason: 'WebGPU failed (lost)' }) as never;
    expect((await r.load({ source, device: 'webgpu' })).fallbackReason).toBe('WebGPU failed (lost)');
  });

  it('user model folders reach every worker, also one started later', async () => {
    const { r, clients } = router(HARDWARE);
    await r.registerUserFiles('mine', []);
    expect(clients.get('wasm')!.registered).toEqual(['mine']);
    await r.load({ source, device: 'webgpu' });
    expect(clients.get('webgpu')!.registered).toEqual(['mine']);
    await r.registerUserFiles('other', []);
    expect(clients.get('wasm')!.registered).toEqual(['mine', 'other']);
    expect(clients.get('webgpu')!.registered).toEqual(['mine', 'other']);
  });

  it('a job resolves the device once, loads then recognises on that worker, and joins the notes', async () => {
    const { r, log, clients, probes } = router(SOFTWARE);
    await r.load({ source, device: 'wasm' }); // the WASM client exists already
    const c = clients.get('wasm')!;
    const seen: string[] = [];
    c.recognize = async (req: RecognizeRequest) => {
      log.push(`wasm:recognize:${req.device}`);
      return { latex: 'x', tokens: [], ms: 1, device: 'wasm', dtype: 'q8', truncated: false, modelInput: req.image, decoding: { numBeams: 1, fellBackReason: 'Beam width 4 is not available.' } };
    };
    const result = await r.job({ source, device: 'auto', image, numBeams: 4 }, { onLoaded: (m) => seen.push(`loaded ${m.device}`) });
    expect(probes()).toBe(1);
    expect(log).toEqual(['wasm:load:wasm', 'wasm:load:wasm', 'wasm:recognize:wasm']);
    expect(seen).toEqual(['loaded wasm']);
    expect(result.loaded.fallbackReason).toMatch(/software one/);
    expect(result.note).toMatch(/software one.*Beam width 4 is not available\.$/);
  });

  it('a job whose model fails to load rejects with ModelLoadError and never recognises; worker failures and aborts pass as they are', async () => {
    const { r, log, clients } = router(NO_GPU);
    await r.load({ source, device: 'wasm' });
    const c = clients.get('wasm')!;
    c.load = async () => Promise.reject(new Error('protobuf parsing failed'));
    const e = await r.job({ source, device: 'wasm', image }).catch((x) => x);
    expect(e).toBeInstanceOf(ModelLoadError);
    expect(e.message).toBe('protobuf parsing failed');
    expect(log.filter((l) => l.includes('recognize'))).toEqual([]);
    const crash = new WorkerFailure('The recognition worker crashed. It was restarted.', 'crash');
    c.load = async () => Promise.reject(crash);
    await expect(r.job({ source, device: 'wasm', image })).rejects.toBe(crash);
    const ctl = new AbortController();
    ctl.abort();
    await expect(r.job({ source, device: 'wasm', image }, { signal: ctl.signal })).rejects.toBeInstanceOf(AbortedError);
  });

  it('test hooks: fault goes to the worker used last; restarts add up; devices merge the page view', async () => {
    const { r, log, clients } = router(SOFTWARE);
    await r.load({ source, device: 'webgpu' });
    await r.fault('crash');
    expect(log.at(-1)).toBe('webgpu:fault:crash');
    await r.load({ source, device: 'wasm' });
    clients.get('wasm')!.restarts = 2;
    clients.get('webgpu')!.restarts = 1;
    expect(r.restarts).toBe(3);
    expect(await r.devices()).toMatchObject({ webgpu: true, software: true, runtime: 'plain', threads: 2 });
    r.dispose();
    expect(log.filter((l) => l.endsWith('dispose')).sort()).toEqual(['wasm:dispose', 'webgpu:dispose']);
  });
});
