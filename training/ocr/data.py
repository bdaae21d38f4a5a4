"""Training data: packs of rendered crops, CROHME images, vocabulary, augmentation, batches."""
import io
import json
import math
import os
import random
from collections import Counter

import numpy as np
from PIL import Image, ImageFilter

from imageops import prepare, HEIGHT

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
CACHE = os.environ.get("CACHE_DIR", os.path.join(ROOT, ".cache"))
SHARED = os.environ.get("SHARED_DATA", os.path.abspath(os.path.join(ROOT, "..", "shared", "data")))

SPECIALS = ["<pad>", "<s>", "</s>", "<unk>"]
PAD, BOS, EOS, UNK = 0, 1, 2, 3


# ---------------------------------------------------------------- vocabulary
def build_vocab(min_count=3, packs=None, crohme=True):
    """Tokens of the training formulas (printed and CROHME) seen >= min_count times;
    or, with `packs`, of the formulas in those rendered packs (smoke test)."""
    c = Counter()
    files = [os.path.join(CACHE, "renders", p, "index.jsonl") for p in packs] if packs else [os.path.join(CACHE, "formulas", "train.jsonl")]
    for path in files:
        with open(path) as f:
            for line in f:
                c.update(json.loads(line)["latex"].split())
    if crohme:
        for _, latex in read_tsv(os.path.join(CACHE, "formulas", "crohme-train.tsv")):
            c.update(latex.split())
    toks = sorted(t for t, n in c.items() if n >= min_count)
    return SPECIALS + toks


def read_tsv(path):
    with open(path) as f:
        return [tuple(l.rstrip("\n").split("\t", 1)) for l in f if "\t" in l]


class Vocab:
    def __init__(self, tokens):
        self.tokens = list(tokens)
        self.index = {t: i for i, t in enumerate(self.tokens)}

    def encode(self, latex):
        return [self.index.get(t, UNK) for t in latex.split()]

    def decode(self, ids):
        return " ".join(self.tokens[i] for i in ids if i >= len(SPECIALS))

    def covers(self, latex):
        return all(t in self.index for t in latex.split())

    def __len__(self):
        return len(self.tokens)


# ---------------------------------------------------------------- sources
class Sample:
    """One training image: a loader for its grey pixels and its target."""
    __slots__ = ("load", "latex", "n", "kind", "width", "source")

    def __init__(self, load, latex, kind, width=None, source=""):
        self.load, self.latex, self.kind, self.source = load, latex, kind, source
        self.n = len(latex.split())
        # approximate fitted width (64 px high), for bucketing; unknown -> guess from length
        self.width = width if width is not None else 30 + 12 * self.n


def read_pack(name, vocab=None):
    d = os.path.join(CACHE, "renders", name)
    mm = np.memmap(os.path.join(d, "images.bin"), dtype=np.uint8, mode="r")
    out = []
    with open(os.path.join(d, "index.jsonl")) as f:
        for line in f:
            r = json.loads(line)
            if vocab is not None and not vocab.covers(r["latex"]):
                continue
            off, w, h = r["offset"], r["w"], r["h"]
            out.append(Sample(lambda off=off, w=w, h=h: np.asarray(mm[off:off + w * h]).reshape(h, w), r["latex"], "printed",
                          min(1024.0, w * 64.0 / h), r.get("source", "")))
    return out


def read_crohme(split, vocab=None):
    out = []
    for img, latex in read_tsv(os.path.join(CACHE, "formulas", f"crohme-{split}.tsv")):
        if vocab is not None and not vocab.covers(latex):
            continue
        p = os.path.join(SHARED, img)
        out.append(Sample(lambda p=p: np.asarray(Image.open(p).convert("L")), latex, "handwritten", source="crohme"))
    return out


# ---------------------------------------------------------------- augmentation
def augment(g, rng: random.Random, kind):
    """Random photometric and geometric changes to a grey crop (ink dark on light).

    The model's first operation is the mean of R, G and B, so any linear recolouring
    of an RGB image (ink colour, paper colour, inversion) reaches the model as a
    linear remap of grey levels: sampling ink and paper levels covers them exactly.
    """
    im = Image.fromarray(np.asarray(g, dtype=np.uint8))
    # scale jitter: resolution changes what the glyph edges look like after fitting
    if rng.random() < 0.5:
        s = rng.uniform(0.5, 1.6)
        im = im.resize((max(4, int(im.width * s)), max(4, int(im.height * s))), Image.BILINEAR)
    # stroke width (thin/thick pens, bold renders)
    r = rng.random()
    if kind == "handwritten" and r < 0.5:
        im = im.filter(ImageFilter.MinFilter(3 if r < 0.35 else 5))
    elif r < 0.1:
        im = im.filter(ImageFilter.MinFilter(3))
    # small rotation (+-5 degrees), white fill (ink/paper come later)
    if rng.random() < 0.5:
        pad = int(0.1 * im.height) + 2
        canvas = Image.new("L", (im.width + 2 * pad, im.height + 2 * pad), 255)
        canvas.paste(im, (pad, pad))
        im = canvas.rotate(rng.uniform(-5, 5), resample=Image.BILINEAR, expand=True, fillcolor=255)
    if rng.random() < 0.3:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 1.3)))
    x = np.asarray(im, dtype=np.float32) / 255.0  # 1 = paper, 0 = ink
    # ink and paper levels (colour change / inversion / low contrast)
    u = rng.random()
    if u < 0.3:
        ink, paper = rng.uniform(0, 0.15), rng.uniform(0.85, 1)            # near black on white
    elif u < 0.65:
        ink, paper = rng.uniform(0.55, 1), rng.uniform(0, 0.5)             # light ink on dark paper
    else:
        ink, paper = rng.uniform(0, 1), rng.uniform(0, 1)                  # anything with contrast
        while abs(ink - paper) < 0.25:
            ink, paper = rng.uniform(0, 1), rng.uniform(0, 1)
    x = ink + (paper - ink) * x
    if rng.random() < 0.3:  # gamma (non-linear tone curves, e.g. screenshots)
        x = np.clip(x, 0, 1) ** rng.uniform(0.6, 1.6)
    if rng.random() < 0.2:  # uneven lighting
        h, w = x.shape
        gx = np.linspace(-1, 1, w)[None, :] * rng.uniform(-0.15, 0.15)
        gy = np.linspace(-1, 1, h)[:, None] * rng.uniform(-0.15, 0.15)
        x = x + gx + gy
    if rng.random() < 0.4:
        x = x + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(0.01, 0.1), x.shape)
    x = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < 0.3:
        buf = io.BytesIO()
        Image.fromarray(x).save(buf, format="JPEG", quality=rng.randint(15, 90))
        x = np.asarray(Image.open(buf).convert("L"))
    return x


# ---------------------------------------------------------------- batches
def to_input(g):
    """uint8 image the model sees -> float array in [-1, 1] (white = 1), as transformers.js feeds it."""
    return g.astype(np.float32) / 127.5 - 1.0


def make_batch(samples, vocab, rng, aug_prob=0.0, max_tokens=250):
    """Images padded (with each image's own background) to the batch's widest, targets padded with PAD."""
    ims = []
    for s in samples:
        g = s.load()
        if aug_prob > 0 and rng.random() < aug_prob:
            g = augment(g, rng, s.kind)
        elif s.kind == "handwritten" and aug_prob > 0 and rng.random() < 0.5:
            g = augment(g, rng, s.kind)
        ims.append(prepare(g))
    W = max(8 * math.ceil(im.shape[1] / 8) for im in ims)
    x = np.empty((len(ims), 1, HEIGHT, W), dtype=np.float32)
    for i, im in enumerate(ims):
        bg = np.median(np.concatenate([im[:, 0], im[:, -1]]))
        x[i, 0] = to_input(np.full((HEIGHT, W), bg, dtype=np.uint8))
        x[i, 0, :, :im.shape[1]] = to_input(im)
    seqs = [[BOS] + vocab.encode(s.latex)[:max_tokens] + [EOS] for s in samples]
    T = max(len(q) for q in seqs)
    y = np.full((len(seqs), T), PAD, dtype=np.int64)
    for i, q in enumerate(seqs):
        y[i, :len(q)] = q
    return x, y


class Batcher:
    """Length-bucketed batches from a weighted mixture of sample lists, with a
    curriculum on target length (short formulas first)."""

    def __init__(self, groups, batch_size, seed):
        # groups: list of (samples, weight)
        self.groups = [(g, w) for g, w in groups if g]
        self.batch_size = batch_size
        self.rng = random.Random(seed)

    def next(self, max_len):
        pool_w = [w for _, w in self.groups]
        picked = []
        tries = 0
        while len(picked) < self.batch_size * 8 and tries < self.batch_size * 400:
            tries += 1
            g = self.rng.choices(self.groups, weights=pool_w)[0][0]
            s = g[self.rng.randrange(len(g))]
            if s.n <= max_len:
                picked.append(s)
        # bucket by image width so padding is small, then take one bucket
        picked.sort(key=lambda s: s.width)
        k = self.rng.randrange(8)
        return picked[k * self.batch_size:(k + 1) * self.batch_size]
