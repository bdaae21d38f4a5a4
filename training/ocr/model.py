"""Image-to-LaTeX model: a small CNN encoder and a transformer decoder.

Encoder: grey input (mean of the 3 channels, in the graph) -> 4 conv stages
(H/16 x W/8 grid) -> learned row and column embeddings -> LayerNorm. It also
projects, once per image, the cross-attention keys and values of every decoder
layer, so the exported encoder's `last_hidden_state` carries them and no decoder
step recomputes them (transformers.js passes it to every step untouched).

Decoder: pre-LN transformer, learned positions, self-attention KV cache.
"""
import math
from dataclasses import dataclass, asdict

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int
    d_model: int = 192
    n_heads: int = 4
    n_layers: int = 3
    d_ff: int = 768
    max_len: int = 256          # decoder positions (>= max_new_tokens + 1)
    max_cols: int = 160         # encoder columns (W/8): 1024 px + slack
    rows: int = 4               # encoder rows (64 px / 16)
    channels: tuple = (32, 64, 128)
    res_blocks: int = 0         # residual blocks at H/8 x W/8 (zero-initialised: a warm start stays exact)
    # n_layers and res_blocks can grow during a run: see grow()
    dropout: float = 0.1

    def to_dict(self):
        d = asdict(self)
        d["channels"] = list(self.channels)
        return d


class PooledDropout(nn.Module):
    """Dropout whose mask is a random window of a pre-drawn pool of keep/drop bits.

    Drawing a fresh Bernoulli mask is 18% of a training step on this CPU (torch 1.13's
    bernoulli_ and uniform_ are serial: ~20 ms for a [32, 120, 768] activation); slicing a
    pool at a random offset costs 0.75 ms. The pool is redrawn every `refresh` calls, so
    masks are not periodic. Identity in eval mode (validation, ONNX export)."""

    POOL = 1 << 24

    def __init__(self, p, refresh=500):
        super().__init__()
        self.p, self.refresh, self.calls, self.pool = p, refresh, 0, None

    def forward(self, x):
        if not self.training or self.p == 0:
            return x
        n = x.numel()
        if n > self.POOL // 2:
            return F.dropout(x, self.p, True)
        if self.pool is None or self.calls % self.refresh == 0:
            self.pool = (torch.rand(self.POOL) >= self.p).float() / (1 - self.p)
        self.calls += 1
        off = int(torch.randint(0, self.POOL - n, ()).item())
        return x * self.pool[off:off + n].view(x.shape).to(x.dtype)


def conv_bn(cin, cout, stride, conv=None):
    return nn.Sequential(conv or nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class StemConv(nn.Conv2d):
    """The first 3x3 convolution (1 input channel). In training it runs as unfold + matmul:
    torch 1.13's oneDNN conv backward sometimes gives NaN weight gradients for this layer
    (training-notes.md), and disabling oneDNN everywhere makes training 3x slower.
    In eval mode (validation, ONNX export) it is the ordinary Conv2d: same weights, same result."""

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        B, _, H, W = x.shape
        sh, sw = self.stride
        cols = F.unfold(x, 3, padding=1, stride=self.stride)              # [B, 9, L]
        out = self.weight.view(self.out_channels, -1) @ cols               # [B, C, L]
        return out.view(B, self.out_channels, (H + 2 - 3) // sh + 1, (W + 2 - 3) // sw + 1)


class ResBlock(nn.Module):
    """Two 3x3 convolutions with a skip. The second BatchNorm starts at zero scale, so a new
    block is the identity: blocks can be added to a trained encoder without changing it."""

    def __init__(self, c):
        super().__init__()
        self.c1 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.b1 = nn.BatchNorm2d(c)
        self.c2 = nn.Conv2d(c, c, 3, 1, 1, bias=False)
        self.b2 = nn.BatchNorm2d(c)
        nn.init.zeros_(self.b2.weight)

    def forward(self, x):
        y = F.relu(self.b1(self.c1(x)))
        return F.relu(x + self.b2(self.c2(y)))


class Encoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c1, c2, c3 = cfg.channels
        D = cfg.d_model
        self.cfg = cfg
        # 5 plain conv stages, and optional residual blocks after the third (H/8 x W/8)
        self.body = nn.Sequential(
            conv_bn(1, c1, 2, StemConv(1, c1, 3, 2, 1, bias=False)),  # H/2, W/2
            conv_bn(c1, c2, 2),             # H/4,  W/4
            conv_bn(c2, c3, 2),             # H/8,  W/8
            conv_bn(c3, c3, 1),             # H/8,  W/8
            conv_bn(c3, D, (2, 1)),         # H/16, W/8
        )
        self.res = nn.Sequential(*[ResBlock(c3) for _ in range(cfg.res_blocks)])
        self.row = nn.Parameter(torch.randn(cfg.rows, D) * 0.02)
        self.col = nn.Parameter(torch.randn(cfg.max_cols, D) * 0.02)
        self.ln = nn.LayerNorm(D)

    def forward(self, x):
        """x: [B,1,H,W] in [-1,1] (white = 1). Returns memory [B, S, D]."""
        f = x
        for i, stage in enumerate(self.body):
            f = stage(f)
            if i == 2:
                f = self.res(f)                                # [B,c3,H/8,W/8]
        # [B,D,R,C]
        B, D, R, C = f.shape
        pos = self.row[:R, None, :] + self.col[None, :C, :]    # [R,C,D]
        f = f.permute(0, 2, 3, 1) + pos                        # [B,R,C,D]
        return self.ln(f.reshape(B, R * C, D))


class _KeepReshape(torch.autograd.Function):
    """x.reshape(shape), where a 0 keeps x's size on that axis (ONNX Reshape's rule; one -1 as usual).
    Exported as one Reshape with a constant shape, where traced sizes would add a Shape,
    Gather, Unsqueeze and Concat chain to every call. With opset 17's LayerNormalization this
    takes the exported decoder from 899 nodes to 325 and a decode step 8-12% faster
    (onnxruntime-web and -node, q8; models/README.md)."""

    @staticmethod
    def forward(ctx, x, shape):
        return _plain_reshape(x, shape)

    @staticmethod
    def symbolic(g, x, shape):
        return g.op("Reshape", x, g.op("Constant", value_t=torch.tensor(shape, dtype=torch.int64)))


def _plain_reshape(x, shape):
    return x.reshape([x.shape[i] if n == 0 else n for i, n in enumerate(shape)])


def keep_reshape(x, shape):
    return _KeepReshape.apply(x, tuple(shape)) if torch.onnx.is_in_onnx_export() else _plain_reshape(x, shape)


def split_heads(x, h):
    D = int(x.shape[-1])
    return keep_reshape(x, (0, -1, h, D // h)).transpose(1, 2)


def merge_heads(x):
    H, Dh = int(x.shape[1]), int(x.shape[3])
    return keep_reshape(x.transpose(1, 2), (0, -1, H * Dh))


def attention(q, k, v, mask=None, return_weights=False):
    s = q @ k.transpose(-1, -2) / math.sqrt(int(q.shape[-1]))  # int(): a constant in the exported graph
    if mask is not None:
        s = s.masked_fill(mask, -1e9)
    w = F.softmax(s, dim=-1)
    return (w @ v, w) if return_weights else w @ v


class DecoderLayer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        D = cfg.d_model
        self.h = cfg.n_heads
        self.ln1, self.ln2, self.ln3 = nn.LayerNorm(D), nn.LayerNorm(D), nn.LayerNorm(D)
        self.qkv = nn.Linear(D, 3 * D)
        self.o = nn.Linear(D, D)
        self.cq = nn.Linear(D, D)
        self.ckv = nn.Linear(D, 2 * D)   # applied to the encoder memory, once per image
        self.co = nn.Linear(D, D)
        self.ff1, self.ff2 = nn.Linear(D, cfg.d_ff), nn.Linear(cfg.d_ff, D)
        self.drop = PooledDropout(cfg.dropout)

    def cross_kv(self, memory):
        k, v = self.ckv(memory).chunk(2, dim=-1)
        return split_heads(k, self.h), split_heads(v, self.h)

    def forward(self, x, cross_k, cross_v, past_k=None, past_v=None, mask=None, return_attn=False):
        """Returns x, the self-attention k and v (the cache), and with return_attn the
        cross-attention weights [B,H,T,S] (where each token looked in the image)."""
        q, k, v = self.qkv(self.ln1(x)).chunk(3, dim=-1)
        q, k, v = split_heads(q, self.h), split_heads(k, self.h), split_heads(v, self.h)
        if past_k is not None:
            k = torch.cat([past_k, k], dim=2)
            v = torch.cat([past_v, v], dim=2)
        x = x + self.drop(self.o(merge_heads(attention(q, k, v, mask))))
        q = split_heads(self.cq(self.ln2(x)), self.h)
        a, w = attention(q, cross_k, cross_v, return_weights=True)
        x = x + self.drop(self.co(merge_heads(a)))
        x = x + self.drop(self.ff2(self.drop(F.gelu(self.ff1(self.ln3(x))))))
        return (x, k, v, w) if return_attn else (x, k, v)


class Decoder(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.emb = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.pos = nn.Embedding(cfg.max_len, cfg.d_model)
        self.layers = nn.ModuleList(DecoderLayer(cfg) for _ in range(cfg.n_layers))
        self.ln = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size)
        self.drop = PooledDropout(cfg.dropout)

    def cross(self, memory):
        """Per layer (k, v) of the cross-attention, computed once per image."""
        return [layer.cross_kv(memory) for layer in self.layers]

    def forward(self, ids, cross, past=None, return_attn=False):
        """ids [B,T]; cross: list of (k,v); past: list of (k,v) or None.
        Returns logits [B,T,V] and the new past; with return_attn also a list, per layer, of
        the cross-attention weights [B,H,T,S]."""
        T = ids.shape[1]
        P = 0 if past is None else past[0][0].shape[2]
        pos = torch.arange(P, P + T, device=ids.device)
        x = self.drop(self.emb(ids) + self.pos(pos)[None])
        qpos = torch.arange(P, P + T, device=ids.device)[:, None]
        kpos = torch.arange(0, P + T, device=ids.device)[None, :]
        mask = kpos > qpos
        presents, attns = [], []
        for i, layer in enumerate(self.layers):
            pk, pv = (None, None) if past is None else past[i]
            out = layer(x, cross[i][0], cross[i][1], pk, pv, mask, return_attn)
            x, k, v = out[:3]
            presents.append((k, v))
            if return_attn:
                attns.append(out[3])
        logits = self.head(self.ln(x))
        return (logits, presents, attns) if return_attn else (logits, presents)


class OCRModel(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        self.encoder = Encoder(cfg)
        self.decoder = Decoder(cfg)

    def forward(self, images, ids):
        """Teacher forcing: images [B,1,H,W], ids [B,T] (starting with BOS). Logits [B,T,V]."""
        cross = self.decoder.cross(self.encoder(images))
        logits, _ = self.decoder(ids, cross)
        return logits

    @torch.no_grad()
    def greedy(self, images, bos, eos, max_new=200, return_probs=False):
        """Batched greedy decoding with the KV cache. Returns a list of token-id lists."""
        B = images.shape[0]
        cross = self.decoder.cross(self.encoder(images))
        ids = torch.full((B, 1), bos, dtype=torch.long, device=images.device)
        past = None
        out = [[] for _ in range(B)]
        done = torch.zeros(B, dtype=torch.bool)
        for _ in range(max_new):
            logits, past = self.decoder(ids[:, -1:], cross, past)
            nxt = logits[:, -1].argmax(-1)
            for b in range(B):
                if not done[b]:
                    if int(nxt[b]) == eos:
                        done[b] = True
                    else:
                        out[b].append(int(nxt[b]))
            if bool(done.all()):
                break
            ids = torch.cat([ids, nxt[:, None]], dim=1)
        return out


GROWABLE = ("res_blocks", "n_layers")


def grow(model, state_dict, old_cfg):
    """Load a trained model's weights into `model`, the same model grown: more encoder residual
    blocks (each starts as the identity: ResBlock's second BatchNorm has zero scale) and/or more
    decoder layers (appended after the trained ones, with their attention, cross-attention and
    feed-forward output projections zeroed, so each adds nothing to the residual stream).
    The grown model computes exactly what the trained one did; training then uses the new
    capacity. Returns the names of the new parameters."""
    new_cfg = model.cfg.to_dict()
    changed = {k for k in new_cfg if k != "dropout" and new_cfg[k] != old_cfg.get(k)}
    if changed - set(GROWABLE):
        raise ValueError(f"cannot grow a model by changing {sorted(changed - set(GROWABLE))} (only {GROWABLE})")
    if any(new_cfg[k] < old_cfg[k] for k in GROWABLE):
        raise ValueError(f"a model can only grow: {({k: old_cfg[k] for k in GROWABLE})} -> {({k: new_cfg[k] for k in GROWABLE})}")
    missing, unexpected = model.load_state_dict(state_dict, strict=False)
    if unexpected:
        raise ValueError(f"unexpected weights: {unexpected}")
    with torch.no_grad():
        for layer in model.decoder.layers[old_cfg["n_layers"]:]:
            for lin in (layer.o, layer.co, layer.ff2):
                lin.weight.zero_()
                lin.bias.zero_()
    return missing


def count_params(m):
    return sum(p.numel() for p in m.parameters())
