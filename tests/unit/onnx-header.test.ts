import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { onnxOpset } from '../../cli/onnx-header.ts';

/** A ModelProto with the given opset imports after a graph field (7) the reader has to skip. */
function modelFile(imports: Array<[string, number]>): string {
  const w = protobuf.Writer.create();
  w.uint32((1 << 3) | 0).int64(8); // ir_version
  w.uint32((7 << 3) | 2).bytes(new Uint8Array(3000).fill(0x5a)); // graph: opaque bytes
  for (const [domain, version] of imports) {
    w.uint32((8 << 3) | 2).fork();
    if (domain) w.uint32((1 << 3) | 2).string(domain);
    w.uint32((2 << 3) | 0).int64(version);
    w.ldelim();
  }
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'onnx-header-')), 'model.onnx');
  fs.writeFileSync(file, w.finish());
  return file;
}

describe('onnxOpset', () => {
  it('reads the default-domain opset past the graph, ignoring other domains', () => {
    expect(onnxOpset(modelFile([['com.microsoft', 1], ['', 17]]))).toBe(17);
    expect(onnxOpset(modelFile([['ai.onnx', 14], ['ai.onnx.ml', 3]]))).toBe(14);
  });

  it('has no opset when the file imports none of the default domain', () => {
    expect(onnxOpset(modelFile([['com.microsoft', 1]]))).toBeUndefined();
  });

  it("reads the opset training/ocr/export.py gives the shipped augmented model", () => {
    const exported = [...fs.readFileSync('training/ocr/export.py', 'utf8').matchAll(/opset_version=(\d+)/g)].map((m) => Number(m[1]));
    expect(new Set(exported).size).toBe(1);
    expect(onnxOpset('models/augmented/onnx/decoder_model_merged.onnx')).toBe(exported[0]);
    expect(onnxOpset('models/augmented/onnx/encoder_model_quantized.onnx')).toBe(exported[0]);
  });
});
