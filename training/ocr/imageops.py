"""Image preparation shared by training and the app.

Mirrors src/image/prepare.ts exactly (tests/unit/prepare-parity.test.ts checks a
golden file written by this module): grey level = mean of R, G, B; trim to the
content box (colour-agnostic: "content" is what differs from the border colour);
fit to the model's height with an antialiased triangle filter; pad with the
background level. The model sees what this produces, in training and in the app.
"""
import functools
import math

import numpy as np


def jsround(x):
    """Math.round of JavaScript (half up), not Python's half-to-even."""
    return int(math.floor(x + 0.5))

HEIGHT = 64
MAX_WIDTH = 1024
MIN_WIDTH = 64


def background_level(g):
    """Median of the border pixels: the paper colour, whatever it is."""
    border = np.concatenate([g[0], g[-1], g[:, 0], g[:, -1]])
    return float(np.median(border))


def _box3(g):
    """3x3 mean with edge replication (denoises the content mask)."""
    p = np.pad(g, 1, mode="edge")
    s = np.zeros_like(g, dtype=np.float32)
    for dy in range(3):
        for dx in range(3):
            s += p[dy:dy + g.shape[0], dx:dx + g.shape[1]]
    return s / 9.0


def content_box(g):
    """(y0, y1, x0, x1, bg) of the content, or None when the image is blank."""
    bg = background_level(g)
    d = np.abs(_box3(g.astype(np.float32)) - bg)
    # contrast = 99.9th percentile of |blurred - bg|, from a 256-bin histogram (as in TS)
    hist = np.bincount(np.minimum(np.floor(d), 255).astype(np.int64).ravel(), minlength=256)
    target = 0.999 * d.size
    acc, contrast = 0, 255
    for v in range(256):
        acc += hist[v]
        if acc >= target:
            contrast = v
            break
    if contrast < 8:
        return None
    mask = d > 0.5 * contrast
    rows = np.flatnonzero(mask.any(axis=1))
    cols = np.flatnonzero(mask.any(axis=0))
    if len(rows) == 0:
        return None
    return int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1, bg


def trim(g):
    """Crop to the content box plus a margin of background. Returns (image, bg)."""
    box = content_box(g)
    if box is None:
        return g, background_level(g)
    y0, y1, x0, x1, bg = box
    crop = g[y0:y1, x0:x1]
    m = 2 + jsround(0.05 * (y1 - y0))
    out = np.full((crop.shape[0] + 2 * m, crop.shape[1] + 2 * m), bg, dtype=np.float32)
    out[m:m + crop.shape[0], m:m + crop.shape[1]] = crop
    return out, bg


@functools.lru_cache(maxsize=4096)
def resample_weights(n_in, n_out):
    """Dense (n_out, n_in) matrix of an antialiased triangle filter: output pixel i
    averages input pixels whose centres lie within `support` of its centre."""
    scale = n_in / n_out
    support = max(scale, 1.0)
    center = (np.arange(n_out, dtype=np.float64) + 0.5) * scale
    t = (np.arange(n_in, dtype=np.float64)[None, :] + 0.5 - center[:, None]) / support
    w = np.maximum(0.0, 1.0 - np.abs(t))
    w /= w.sum(axis=1, keepdims=True)
    return w.astype(np.float32)


def resize(g, h, w):
    return resample_weights(g.shape[0], h) @ g.astype(np.float32) @ resample_weights(g.shape[1], w).T


def fit_size(h, w):
    """Output size (before padding) for an h x w image."""
    s = HEIGHT / h
    nw = max(1, jsround(w * s))
    if nw <= MAX_WIDTH:
        return HEIGHT, nw
    s = MAX_WIDTH / w
    return max(1, jsround(h * s)), MAX_WIDTH


def fit(g, bg):
    """Resize to HEIGHT (width <= MAX_WIDTH), pad to at least MIN_WIDTH; uint8 result."""
    h, w = fit_size(*g.shape)
    r = resize(g, h, w)
    out_w = max(w, MIN_WIDTH)
    out = np.full((HEIGHT, out_w), bg, dtype=np.float32)
    top = (HEIGHT - h) // 2
    out[top:top + h, :w] = r
    return np.clip(np.floor(out + 0.5), 0, 255).astype(np.uint8)


def prepare(g):
    """Grey image (uint8 or float, HxW) -> the uint8 HEIGHT x W image the model sees."""
    t, bg = trim(np.asarray(g, dtype=np.float32))
    return fit(t, bg)
