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
            out.append(Sample(lambda off=off, w=w, h=h: np.asarray(mm[off:off + w * h]).reshape(h, w), r["latex"], r.get("kind", "printed"),
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
def augment(g, rng: random.Random, kind, p):
    """Random photometric and geometric changes to a grey crop (ink dark on light); `p` is
    the run config's "augment" block (every probability and range lives there).

    The model's first operation is the mean of R, G and B, so any linear recolouring
    of an RGB image (ink colour, paper colour, inversion) reaches the model as a
    linear remap of grey levels: sampling ink and paper levels covers them exactly.
    """
    hand = kind == "handwritten"
    im = Image.fromarray(np.asarray(g, dtype=np.uint8))
    # scale jitter: resolution changes what the glyph edges look like after fitting
    if rng.random() < p["scale_prob"]:
        s = rng.uniform(*p["scale"])
        im = im.resize((max(4, int(im.width * s)), max(4, int(im.height * s))), Image.BILINEAR)
    # stroke width (thin/thick pens, bold renders)
    r = rng.random()
    if hand and r < p["hand_stroke_prob"]:
        im = im.filter(ImageFilter.MinFilter(3 if r < 0.7 * p["hand_stroke_prob"] else 5))
    elif not hand and r < p["stroke_prob"]:
        im = im.filter(ImageFilter.MinFilter(3))
    # affine: shear and anisotropic scale (slanted handwriting, condensed fonts), white fill
    if rng.random() < (p["hand_affine_prob"] if hand else p["affine_prob"]):
        sh = rng.uniform(-p["shear"], p["shear"])
        sx = rng.uniform(0.8, 1.2)
        w, h = im.width, im.height
        nw = max(4, int(w * sx + abs(sh) * h))
        # output (x, y) samples input (a x + b y + c, y)
        c = -sh * h if sh > 0 else 0.0
        im = im.transform((nw, h), Image.AFFINE, (1 / sx, sh / sx, c / sx, 0, 1, 0), resample=Image.BILINEAR, fillcolor=255)
    # elastic: a smooth random warp of the handwriting (pen wobble, uneven symbol shapes)
    if hand and rng.random() < p.get("elastic_prob", 0):
        im = elastic(im, rng, p["elastic_cell"], p["elastic_sigma"])
    # small rotation, white fill (ink/paper come later)
    if rng.random() < p["rotate_prob"]:
        pad = int(0.1 * im.height) + 2
        canvas = Image.new("L", (im.width + 2 * pad, im.height + 2 * pad), 255)
        canvas.paste(im, (pad, pad))
        im = canvas.rotate(rng.uniform(-p["rotate_deg"], p["rotate_deg"]), resample=Image.BILINEAR, expand=True, fillcolor=255)
    if rng.random() < p["blur_prob"]:
        im = im.filter(ImageFilter.GaussianBlur(rng.uniform(*p["blur"])))
    x = np.asarray(im, dtype=np.float32) / 255.0  # 1 = paper, 0 = ink
    # ink and paper levels (colour change / inversion / low contrast)
    col = p["colour"]
    u = rng.random()
    if u < col["dark_on_light"]:
        ink, paper = rng.uniform(0, 0.15), rng.uniform(0.85, 1)            # near black on white
    elif u < col["dark_on_light"] + col["light_on_dark"]:
        ink, paper = rng.uniform(0.55, 1), rng.uniform(0, 0.5)             # light ink on dark paper
    else:
        ink, paper = rng.uniform(0, 1), rng.uniform(0, 1)                  # anything with contrast
        while abs(ink - paper) < col["min_contrast"]:
            ink, paper = rng.uniform(0, 1), rng.uniform(0, 1)
    x = ink + (paper - ink) * x
    if rng.random() < p["gamma_prob"]:  # non-linear tone curves, e.g. screenshots
        x = np.clip(x, 0, 1) ** rng.uniform(*p["gamma"])
    if rng.random() < p["lighting_prob"]:  # uneven lighting
        h, w = x.shape
        gx = np.linspace(-1, 1, w)[None, :] * rng.uniform(-p["lighting"], p["lighting"])
        gy = np.linspace(-1, 1, h)[:, None] * rng.uniform(-p["lighting"], p["lighting"])
        x = x + gx + gy
    if rng.random() < p["noise_prob"]:
        x = x + np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.uniform(*p["noise"]), x.shape)
    x = np.clip(x * 255.0, 0, 255).astype(np.uint8)
    if rng.random() < p["jpeg_prob"]:
        buf = io.BytesIO()
        Image.fromarray(x).save(buf, format="JPEG", quality=rng.randint(*p["jpeg_quality"]))
        x = np.asarray(Image.open(buf).convert("L"))
    return x


def elastic(im, rng: random.Random, cell, sigma):
    """A piecewise-bilinear warp (PIL's MESH transform): a grid with cells of `cell` x the ink's
    height, each inner vertex moved by a Gaussian of `sigma` x the cell size; white fill.
    Cells scale with the ink, so a one-line expression in a large square image is not crushed."""
    box = Image.eval(im, lambda v: 255 - v).getbbox()  # the ink's bounding box
    if not box:
        return im
    w, h = im.size
    size = max(4.0, cell * (box[3] - box[1]))
    nx, ny = max(1, round(w / size)), max(1, round(h / size))
    xs = [w * i / nx for i in range(nx + 1)]
    ys = [h * j / ny for j in range(ny + 1)]
    d = sigma * size
    # source position of each grid vertex: the border stays put, inner vertices move
    src = [[(x + (rng.gauss(0, d) if 0 < i < nx else 0.0), y + (rng.gauss(0, d) if 0 < j < ny else 0.0))
            for i, x in enumerate(xs)] for j, y in enumerate(ys)]
    mesh = []
    for j in range(ny):
        for i in range(nx):
            box_ = (round(xs[i]), round(ys[j]), round(xs[i + 1]), round(ys[j + 1]))
            (ax, ay), (bx, by) = src[j][i], src[j + 1][i]          # upper-left, lower-left
            (cx, cy), (dx, dy) = src[j + 1][i + 1], src[j][i + 1]  # lower-right, upper-right
            mesh.append((box_, (ax, ay, bx, by, cx, cy, dx, dy)))
    return im.transform((w, h), Image.MESH, mesh, resample=Image.BILINEAR, fillcolor=255)


# ---------------------------------------------------------------- batches
def to_input(g):
    """uint8 image the model sees -> float array in [-1, 1] (white = 1), as transformers.js feeds it."""
    return g.astype(np.float32) / 127.5 - 1.0


def make_batch(samples, vocab, rng, aug=None, max_tokens=250):
    """Images padded (with each image's own background) to the batch's widest, targets padded with PAD.
    `aug`: the config's "augment" block (None or prob 0: no augmentation)."""
    ims = []
    for s in samples:
        g = s.load()
        if aug and aug.get("prob", 0) > 0:
            prob = aug.get("handwritten_prob", aug["prob"]) if s.kind == "handwritten" else aug["prob"]
            if rng.random() < prob:
                g = augment(g, rng, s.kind, aug)
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
    """Length-bucketed batches from a weighted mixture of sample lists, with a curriculum
    on target length (short formulas first). Batch k is a pure function of (seed, k): a
    resumed run sees exactly the batches it would have seen, and batches can be prepared
    ahead of time in another process."""

    def __init__(self, groups, batch_size, seed):
        # groups: list of (samples, weight)
        self.groups = [(g, w) for g, w in groups if g]
        self.batch_size = batch_size
        self.seed = seed

    def rng(self, step):
        return random.Random(self.seed * 1_000_003 + step)

    def pick(self, step, max_len):
        rng = self.rng(step)
        pool_w = [w for _, w in self.groups]
        picked = []
        tries = 0
        while len(picked) < self.batch_size * 8 and tries < self.batch_size * 400:
            tries += 1
            g = rng.choices(self.groups, weights=pool_w)[0][0]
            s = g[rng.randrange(len(g))]
            if s.n <= max_len:
                picked.append(s)
        # bucket by image width so padding is small, then take one bucket
        picked.sort(key=lambda s: s.width)
        k = rng.randrange(8)
        return picked[k * self.batch_size:(k + 1) * self.batch_size], rng

    def batch(self, step, max_len, vocab, aug=None):
        samples, rng = self.pick(step, max_len)
        x, y = make_batch(samples, vocab, rng, aug)
        return x, y, len(samples)
