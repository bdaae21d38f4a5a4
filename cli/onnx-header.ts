import fs from 'node:fs';
import protobuf from 'protobufjs/minimal.js';

/**
 * The default-domain opset an ONNX file was exported with, read from its ModelProto header
 * (field 8, opset_import: OperatorSetIdProto {1: domain, 2: version}), so the card states what
 * the files are rather than what an exporter once wrote. Uses protobufjs's wire reader (a dev
 * dependency; onnxruntime-web depends on it too) to skip the graph without decoding it.
 */
export function onnxOpset(file: string): number | undefined {
  const r = protobuf.Reader.create(fs.readFileSync(file));
  let opset: number | undefined;
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 !== 8 || (tag & 7) !== 2) {
      r.skipType(tag & 7);
      continue;
    }
    const end = r.uint32() + r.pos;
    let domain = '';
    let version: number | undefined;
    while (r.pos < end) {
      const t = r.uint32();
      if (t >>> 3 === 1 && (t & 7) === 2) domain = r.string();
      else if (t >>> 3 === 2 && (t & 7) === 0) version = Number(r.int64());
      else r.skipType(t & 7);
    }
    if (domain === '' || domain === 'ai.onnx') opset = version;
  }
  return opset;
}
