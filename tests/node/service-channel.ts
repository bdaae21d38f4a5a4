/**
 * The OCR worker API as the page sees it, in Node: the service the browser worker exposes
 * (src/model/service.ts) with transformers.js for Node, wrapped with comlink over a real
 * MessageChannel. `close()` ends the channel (call it in afterAll).
 */
import * as Comlink from 'comlink';
import { tjs } from '../../cli/common.ts';
import { createOcrService, type ServiceHost } from '../../src/model/service.ts';
import type { OcrApi } from '../../src/worker-api/ocr.ts';

export function serviceOverChannel(host: Partial<ServiceHost> = {}) {
  const { port1, port2 } = new MessageChannel();
  Comlink.expose(
    createOcrService(tjs, {
      gpu: async () => ({ webgpu: false, shaderF16: false }),
      cpuDevice: 'cpu',
      baseUrl: 'http://localhost/',
      crossOriginIsolated: false,
      ...host,
    }),
    port1 as unknown as Comlink.Endpoint,
  );
  return {
    api: Comlink.wrap<OcrApi>(port2 as unknown as Comlink.Endpoint),
    close() {
      port1.close();
      port2.close();
    },
  };
}
