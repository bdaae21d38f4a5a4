"""Export a checkpoint to the transformers.js VisionEncoderDecoder layout (fp32 ONNX + configs).

  /usr/bin/python3 training/ocr/export.py CHECKPOINT OUT_DIR [--name narrow]

Writes OUT_DIR/{config,generation_config,preprocessor_config,tokenizer,tokenizer_config}.json
and OUT_DIR/onnx/{encoder_model,decoder_model_merged}.onnx, then checks the ONNX graphs
against PyTorch on a real image (greedy ids must match). See
../shared/docs/transformersjs-model-format.md for the contract.
"""
import argparse
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn

sys.path.insert(0, os.path.dirname(__file__))
from data import BOS, EOS, PAD, SPECIALS, UNK  # noqa: E402
from imageops import HEIGHT, MAX_WIDTH, MIN_WIDTH  # noqa: E402
from model import ModelConfig, OCRModel, count_params  # noqa: E402

torch.backends.mkldnn.enabled = False
MAX_NEW_TOKENS = 200


class EncoderForExport(nn.Module):
    """pixel_values [B,3,64,W] in [-1,1] -> last_hidden_state [B,2*L*H,S,Dh]: the
    cross-attention keys and values of every decoder layer, computed once per image, laid out
    as the decoder reads them: layer 0's keys (H heads, each [S,Dh]), its values, layer 1's
    keys, ... A decode step then takes each layer's keys and values with one contiguous Split;
    with the [B,S,2*L*D] layout every step also transposed S x 2*L*D values into heads
    (onnxruntime has no views), the largest data movement of a step."""

    def __init__(self, m: OCRModel):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        x = pixel_values.mean(dim=1, keepdim=True)  # grey inside the graph
        memory = self.m.encoder(x)
        parts = []
        for k, v in self.m.decoder.cross(memory):  # each [B,H,S,Dh]
            parts += [k, v]
        return torch.cat(parts, dim=1)


class DecoderForExport(nn.Module):
    """gpt2-style cache: input_ids, encoder_hidden_states, past_key_values.{i}.key/value ->
    logits, present.{i}.key/value, cross_attentions.{i}.

    cross_attentions.{i} [B,T,S] is layer i's cross-attention, heads averaged: for each new
    token, where it looked among the S = rows x cols image cells (row-major; rows = the
    encoder's 4 rows). transformers.js collects outputs named cross_attentions* when generate()
    is asked for them (output_attentions + return_dict_in_generate) and ignores them otherwise;
    the app draws them as "Where it looks" maps."""

    def __init__(self, m: OCRModel):
        super().__init__()
        self.m = m

    def forward(self, input_ids, encoder_hidden_states, *flat_past):
        dec = self.m.decoder
        L, H = dec.cfg.n_layers, dec.cfg.n_heads
        kv = torch.split(encoder_hidden_states, H, dim=1)  # one Split: 2L tensors [B,H,S,Dh]
        cross = [(kv[2 * i], kv[2 * i + 1]) for i in range(L)]
        past = [(flat_past[2 * i], flat_past[2 * i + 1]) for i in range(L)]
        logits, presents, attns = dec(input_ids, cross, past, return_attn=True)
        out = [logits]
        for k, v in presents:
            out += [k, v]
        out += [w.mean(dim=1) for w in attns]
        return tuple(out)


def load(ckpt_path):
    ck = torch.load(ckpt_path, map_location="cpu")
    cfg = ModelConfig(**{**ck["config"], "channels": tuple(ck["config"]["channels"])})
    m = OCRModel(cfg)
    m.load_state_dict(ck["model"])
    m.eval()
    return m, cfg, ck


def export(ckpt_path, out, name):
    m, cfg, ck = load(ckpt_path)
    vocab = ck["vocab"]
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    D, L, H = cfg.d_model, cfg.n_layers, cfg.n_heads
    Dh = D // H

    enc = EncoderForExport(m).eval()
    px = torch.rand(1, 3, HEIGHT, 200) * 2 - 1
    torch.onnx.export(enc, (px,), os.path.join(out, "onnx", "encoder_model.onnx"),
                      input_names=["pixel_values"], output_names=["last_hidden_state"],
                      dynamic_axes={"pixel_values": {0: "batch_size", 3: "width"},
                                    "last_hidden_state": {0: "batch_size", 2: "encoder_sequence_length"}},
                      opset_version=17, do_constant_folding=True)

    dec = DecoderForExport(m).eval()
    B, T, P = 1, 2, 3
    ids = torch.randint(len(SPECIALS), len(vocab), (B, T))
    with torch.no_grad():
        ehs = enc(px)
    names_in, names_out = ["input_ids", "encoder_hidden_states"], ["logits"]
    args = [ids, ehs]
    dyn = {"input_ids": {0: "batch_size", 1: "decoder_sequence_length"},
           "encoder_hidden_states": {0: "batch_size", 2: "encoder_sequence_length"},
           "logits": {0: "batch_size", 1: "decoder_sequence_length"}}
    for i in range(L):
        for kv in ("key", "value"):
            n = f"past_key_values.{i}.{kv}"
            names_in.append(n)
            args.append(torch.randn(B, H, P, Dh))  # non-empty past when tracing: nothing specialised to 0
            dyn[n] = {0: "batch_size", 2: "past_sequence_length"}
            o = f"present.{i}.{kv}"
            names_out.append(o)
            dyn[o] = {0: "batch_size", 2: "total_sequence_length"}
    for i in range(L):
        o = f"cross_attentions.{i}"
        names_out.append(o)
        dyn[o] = {0: "batch_size", 1: "decoder_sequence_length", 2: "encoder_sequence_length"}
    torch.onnx.export(dec, tuple(args), os.path.join(out, "onnx", "decoder_model_merged.onnx"),
                      input_names=names_in, output_names=names_out, dynamic_axes=dyn,
                      opset_version=17, do_constant_folding=True)

    write_configs(out, name, cfg, vocab, ck, count_params(m))
    return m


def write_configs(out, name, cfg, vocab, ck, params):
    D, L, H = cfg.d_model, cfg.n_layers, cfg.n_heads
    ids = {"decoder_start_token_id": BOS, "bos_token_id": BOS, "eos_token_id": EOS, "pad_token_id": PAD}
    config = {
        "architectures": ["VisionEncoderDecoderModel"],
        "model_type": "vision-encoder-decoder",
        "is_encoder_decoder": True,
        **ids,
        "encoder": {"model_type": "latex-ocr-cnn", "channels": list(cfg.channels), "res_blocks": cfg.res_blocks, "hidden_size": D,
                    "image_height": HEIGHT, "max_width": MAX_WIDTH, "num_channels": 3,
                    "note": "last_hidden_state [batch, 2 x n_layer x n_head, S, head_dim] holds each decoder layer's cross-attention keys, then values, by head",
                    # the S cells of last_hidden_state (and of the decoder's cross_attentions.{i}) are
                    # rows x cols, row-major; each covers 16 x 8 px of the 64 px high input
                    "attention_grid": {"rows": HEIGHT // 16, "cell_height": 16, "cell_width": 8}},
        "decoder": {"model_type": "gpt2", "n_layer": L, "n_head": H, "n_embd": D, "n_inner": cfg.d_ff,
                    "n_positions": cfg.max_len, "vocab_size": len(vocab), "add_cross_attention": True,
                    "is_decoder": True, **ids},
        "transformers.js_config": {"dtype": "fp32"},
        "latex_ocr": {"name": name, "mode": ck.get("mode"), "step": ck["state"]["step"],
                      "selection_score": ck["state"]["best"], "training_seconds": ck["state"]["seconds"],
                      "params": params},
    }
    gen = {**ids, "max_new_tokens": MAX_NEW_TOKENS, "do_sample": False, "num_beams": 1}
    pre = {
        "image_processor_type": "ViTImageProcessor",
        "do_convert_rgb": True,
        "do_resize": True, "size": {"height": HEIGHT, "width": MAX_WIDTH}, "do_thumbnail": True, "resample": 2,
        "do_pad": False,
        "do_rescale": True, "rescale_factor": 1 / 255,
        "do_normalize": True, "image_mean": [0.5, 0.5, 0.5], "image_std": [0.5, 0.5, 0.5],
        # read by the playground (src/image/prepare.ts): grey, trim to content, fit to 64 px high
        "latex_ocr_prepare": {"grey": True, "trim": True, "height": HEIGHT, "max_width": MAX_WIDTH, "min_width": MIN_WIDTH},
    }
    tok = {
        "version": "1.0", "truncation": None, "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SPECIALS)],
        "normalizer": None,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": None,
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": {t: i for i, t in enumerate(vocab)}, "unk_token": "<unk>"},
    }
    tok_cfg = {"tokenizer_class": "PreTrainedTokenizerFast", "bos_token": "<s>", "eos_token": "</s>",
               "unk_token": "<unk>", "pad_token": "<pad>", "clean_up_tokenization_spaces": False,
               "model_max_length": cfg.max_len}
    for fname, obj in [("config.json", config), ("generation_config.json", gen), ("preprocessor_config.json", pre),
                       ("tokenizer.json", tok), ("tokenizer_config.json", tok_cfg)]:
        with open(os.path.join(out, fname), "w") as f:
            json.dump(obj, f, indent=2, ensure_ascii=False)
            f.write("\n")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("checkpoint")
    p.add_argument("out")
    p.add_argument("--name", default="latex-ocr")
    a = p.parse_args()
    export(a.checkpoint, a.out, a.name)
    print("exported", a.out)


if __name__ == "__main__":
    main()
