/**
 * A stand-in for a Web Worker in Node (tests of src/worker-api/bridge.ts and its clients):
 * the API object is exposed with comlink on the far end of a MessageChannel, as a worker
 * script would expose it, and the test can make the "worker" crash or see it terminated.
 */
import * as Comlink from 'comlink';

export class FakeWorker extends EventTarget {
  private near: MessagePort;
  private far: MessagePort;
  terminated = false;

  constructor(api: object) {
    super();
    const { port1, port2 } = new MessageChannel();
    this.near = port1;
    this.far = port2;
    Comlink.expose(api, port2 as unknown as Comlink.Endpoint);
  }

  postMessage(message: unknown, transfer?: Transferable[]) {
    if (!this.terminated) this.near.postMessage(message, (transfer ?? []) as never);
  }

  override addEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: AddEventListenerOptions | boolean) {
    if (type !== 'message') return super.addEventListener(type, listener, options);
    this.near.addEventListener('message', listener as never, options);
    this.near.start();
  }

  override removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null, options?: EventListenerOptions | boolean) {
    if (type !== 'message') return super.removeEventListener(type, listener, options);
    this.near.removeEventListener('message', listener as never, options);
  }

  /** As when the worker's script throws: an error event, then the worker is gone (pending calls never answer). */
  crash(message: string) {
    this.dispatchEvent(Object.assign(new Event('error', { cancelable: true }), { message }));
    this.close();
  }

  terminate() {
    this.terminated = true;
    this.close();
  }

  private close() {
    this.near.close();
    this.far.close();
  }
}

/** A factory for fake workers that remembers each one it made. */
export function fakeWorkers(api: () => object) {
  const made: FakeWorker[] = [];
  return {
    made,
    createWorker: () => {
      const w = new FakeWorker(api());
      made.push(w);
      return w as unknown as Worker;
    },
  };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
