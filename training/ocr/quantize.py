"""Make the q8 (`_quantized`) and fp16 (`_fp16`) variants of exported ONNX files, with python3-onnx only.

  /usr/bin/python3 training/ocr/quantize.py MODEL_DIR

q8: every MatMul with a constant weight becomes DynamicQuantizeLinear (activations,
    uint8, per call) + MatMulInteger (weights int8, symmetric, per output column) and
    a float rescale: what onnxruntime's quantize_dynamic produces, which transformers.js
    loads as dtype "q8". Convolutions likewise: DynamicQuantizeLinear + ConvInteger
    (weights per output channel, stored uint8 with zero point 128) + a float rescale,
    so the encoder's convolutions run on 8-bit integers too.
fp16: weights and arithmetic in float16, inputs and outputs kept float32 (Casts at
    the edges), so transformers.js feeds the same tensors as for fp32. For WebGPU
    adapters with shader-f16.
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def _inits(graph):
    return {i.name: i for i in graph.initializer}


def quantize_q8(src, dst):
    model = onnx.load(src)
    g = model.graph
    inits = _inits(g)
    consumers = {}
    for n in g.node:
        for i in n.input:
            consumers.setdefault(i, []).append(n)
    new_nodes, drop_inits, add_inits = [], set(), []
    k = 0
    for n in g.node:
        if n.op_type == "MatMul" and n.input[1] in inits and len(numpy_helper.to_array(inits[n.input[1]]).shape) == 2:
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)  # [K, N]
            scale = np.maximum(np.abs(w).max(axis=0), 1e-8) / 127.0      # per output column
            wq = np.clip(np.round(w / scale), -127, 127).astype(np.int8)
            p = f"q8_{k}"
            k += 1
            add_inits += [numpy_helper.from_array(wq, p + "_w"), numpy_helper.from_array(scale.astype(np.float32), p + "_ws")]
            if len(consumers.get(n.input[1], [])) == 1:
                drop_inits.add(n.input[1])
            a = n.input[0]
            new_nodes += [
                helper.make_node("DynamicQuantizeLinear", [a], [p + "_aq", p + "_as", p + "_az"], name=p + "_dql"),
                helper.make_node("MatMulInteger", [p + "_aq", p + "_w", p + "_az"], [p + "_mm"], name=p + "_mmi"),
                helper.make_node("Cast", [p + "_mm"], [p + "_mmf"], to=TensorProto.FLOAT, name=p + "_cast"),
                helper.make_node("Mul", [p + "_as", p + "_ws"], [p + "_s"], name=p + "_scale"),
                helper.make_node("Mul", [p + "_mmf", p + "_s"], [n.output[0]], name=p + "_out"),
            ]
        elif n.op_type == "Conv" and n.input[1] in inits:
            # ConvInteger on dynamically quantised activations, like the MatMuls: onnxruntime's
            # ConvInteger takes uint8 weights with one zero point, so the symmetric int8 codes are
            # stored +128 (zero point 128) and the per-channel scales applied after the Cast
            w = numpy_helper.to_array(inits[n.input[1]]).astype(np.float32)  # [O, I, kh, kw]
            scale = np.maximum(np.abs(w).reshape(w.shape[0], -1).max(axis=1), 1e-8) / 127.0
            wq = (np.clip(np.round(w / scale[:, None, None, None]), -127, 127) + 128).astype(np.uint8)
            p = f"q8c_{k}"
            k += 1
            add_inits += [numpy_helper.from_array(wq, p + "_w"),
                          numpy_helper.from_array(scale.astype(np.float32).reshape(1, -1, 1, 1), p + "_ws"),
                          numpy_helper.from_array(np.array(128, np.uint8), p + "_wz")]
            if len(consumers.get(n.input[1], [])) == 1:
                drop_inits.add(n.input[1])
            conv = helper.make_node("ConvInteger", [p + "_aq", p + "_w", p + "_az", p + "_wz"], [p + "_ci"], name=p + "_conv")
            conv.attribute.extend(n.attribute)
            scaled = n.output[0] if len(n.input) < 3 else p + "_scaled"
            new_nodes += [
                helper.make_node("DynamicQuantizeLinear", [n.input[0]], [p + "_aq", p + "_as", p + "_az"], name=p + "_dql"),
                conv,
                helper.make_node("Cast", [p + "_ci"], [p + "_cf"], to=TensorProto.FLOAT, name=p + "_cast"),
                helper.make_node("Mul", [p + "_as", p + "_ws"], [p + "_s"], name=p + "_scale"),
                helper.make_node("Mul", [p + "_cf", p + "_s"], [scaled], name=p + "_out"),
            ]
            if len(n.input) >= 3:  # the bias, as [1, O, 1, 1]
                b = numpy_helper.to_array(inits[n.input[2]]).astype(np.float32).reshape(1, -1, 1, 1)
                add_inits.append(numpy_helper.from_array(b, p + "_b"))
                if len(consumers.get(n.input[2], [])) == 1:
                    drop_inits.add(n.input[2])
                new_nodes.append(helper.make_node("Add", [scaled, p + "_b"], [n.output[0]], name=p + "_bias"))
        else:
            new_nodes.append(n)
    del g.node[:]
    g.node.extend(new_nodes)
    keep = [i for i in g.initializer if i.name not in drop_inits]
    del g.initializer[:]
    g.initializer.extend(keep + add_inits)
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    return k


def convert_fp16(src, dst):
    model = onnx.load(src)
    g = model.graph
    F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16
    for init in g.initializer:
        if init.data_type == F32:
            arr = numpy_helper.to_array(init).astype(np.float16)
            init.CopyFrom(numpy_helper.from_array(arr, init.name))
    for n in g.node:
        for attr in n.attribute:
            if attr.type == onnx.AttributeProto.TENSOR and attr.t.data_type == F32:
                arr = numpy_helper.to_array(attr.t)
                # keep huge masking constants finite in fp16
                arr = np.clip(arr, -65000, 65000).astype(np.float16)
                attr.t.CopyFrom(numpy_helper.from_array(arr, attr.t.name))
            if n.op_type == "Cast" and attr.name == "to" and attr.i == F32:
                attr.i = F16
    for vi in list(g.value_info):
        if vi.type.tensor_type.elem_type == F32:
            vi.type.tensor_type.elem_type = F16
    # keep float32 at the edges: Cast inputs to fp16 on entry, outputs back to fp32
    cast_in = []
    for inp in g.input:
        if inp.type.tensor_type.elem_type == F32:
            h = inp.name + "_fp16"
            for n in g.node:
                for j, name in enumerate(n.input):
                    if name == inp.name:
                        n.input[j] = h
            cast_in.append(helper.make_node("Cast", [inp.name], [h], to=F16, name=inp.name + "_to_fp16"))
    cast_out = []
    for out in g.output:
        if out.type.tensor_type.elem_type == F32:
            h = out.name + "_fp16"
            for n in g.node:  # the producer and any internal consumers use the fp16 tensor
                for j, name in enumerate(n.output):
                    if name == out.name:
                        n.output[j] = h
                for j, name in enumerate(n.input):
                    if name == out.name:
                        n.input[j] = h
            cast_out.append(helper.make_node("Cast", [h], [out.name], to=F32, name=out.name + "_to_fp32"))
    nodes = cast_in + list(g.node) + cast_out
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, dst)


def main():
    d = os.path.join(sys.argv[1], "onnx")
    for base in ("encoder_model", "decoder_model_merged"):
        src = os.path.join(d, base + ".onnx")
        n = quantize_q8(src, os.path.join(d, base + "_quantized.onnx"))
        convert_fp16(src, os.path.join(d, base + "_fp16.onnx"))
        sizes = {s: os.path.getsize(os.path.join(d, base + s + ".onnx")) for s in ("", "_quantized", "_fp16")}
        print(base, f"{n} quantised ops", {k or "fp32": f"{v / 1e6:.2f} MB" for k, v in sizes.items()})


if __name__ == "__main__":
    main()
