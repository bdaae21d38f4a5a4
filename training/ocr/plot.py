"""Training curves as a PNG (Pillow only: no plotting library in Debian's minimal set).

  /usr/bin/python3 training/ocr/plot.py OUT.png RUN_LOG.jsonl[:label] [...] [--x samples|step] [--title T]

Top panel: training NLL (per logged segment); bottom panel: validation score (mean token
similarity over the run's validation sets) and each set's similarity for the first log.
"""
import argparse
import json

from PIL import Image, ImageDraw, ImageFont

COLOURS = [(31, 119, 180), (214, 39, 40), (44, 160, 44), (148, 103, 189), (255, 127, 14), (140, 86, 75)]


def read(path):
    rows = [json.loads(l) for l in open(path) if l.strip()]
    train = [r for r in rows if "nll" in r]
    val = [r for r in rows if "val" in r]
    # samples seen: logged on validations; for training rows, accumulate from the step (batch from the config)
    return train, val


def nice_ticks(lo, hi, n=5):
    """About n round tick values (1, 2, 2.5 or 5 x 10^k apart) within [lo, hi]."""
    import math
    if hi <= lo:
        hi = lo + 1
    raw = (hi - lo) / n
    base = 10 ** math.floor(math.log10(raw))
    step = next(m * base for m in (1, 2, 2.5, 5, 10) if m * base >= raw)
    t = math.ceil(lo / step) * step
    out = []
    while t <= hi + 1e-12:
        out.append(round(t, 10))
        t += step
    return out


def panel(draw, box, series, ylabel, font, x_label):
    x0, y0, x1, y1 = box
    pts = [p for _, _, ps in series for p in ps]
    if not pts:
        return
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    xlo, xhi = min(xs), max(xs)
    if xhi == xlo:
        xlo, xhi = xlo - 1, xhi + 1
    ylo, yhi = min(ys), max(ys)
    pad = (yhi - ylo) * 0.05 or 0.05
    ylo, yhi = ylo - pad, yhi + pad
    draw.rectangle(box, outline=(0, 0, 0))
    fx = lambda x: x0 + (x - xlo) / (xhi - xlo) * (x1 - x0)
    fy = lambda y: y1 - (y - ylo) / (yhi - ylo) * (y1 - y0)
    for t in nice_ticks(ylo, yhi):
        draw.line([(x0, fy(t)), (x1, fy(t))], fill=(230, 230, 230))
        draw.text((x0 - 45, fy(t) - 6), f"{t:.2f}", fill=(0, 0, 0), font=font)
    for t in nice_ticks(xlo, xhi):
        draw.line([(fx(t), y1), (fx(t), y1 + 4)], fill=(0, 0, 0))
        label = (f"{t / 1e6:.2f}M" if xhi >= 1e6 else f"{t / 1e3:.0f}k") if x_label == "samples" else f"{int(t):,}"
        draw.text((fx(t) - 15, y1 + 6), label, fill=(0, 0, 0), font=font)
    draw.text((x0, y0 - 16), ylabel, fill=(0, 0, 0), font=font)
    ly = y0 + 6
    lx = x1 - 40 - 6 * max(len(label) + 8 for label, _, _ in series)
    for label, colour, ps in series:
        if len(ps) > 1:
            draw.line([(fx(x), fy(y)) for x, y in ps], fill=colour, width=2)
        for x, y in ps[-1:]:
            draw.ellipse([fx(x) - 3, fy(y) - 3, fx(x) + 3, fy(y) + 3], fill=colour)
        last = f" ({ps[-1][1]:.3f})" if ps else ""
        draw.line([(lx, ly + 6), (lx + 20, ly + 6)], fill=colour, width=3)
        draw.text((lx + 25, ly), label + last, fill=(0, 0, 0), font=font)
        ly += 16


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("logs", nargs="+", help="log.jsonl[:label]")
    p.add_argument("--x", choices=["samples", "step"], default="samples")
    p.add_argument("--batch", type=int, default=32, help="samples per step (for training rows)")
    p.add_argument("--title", default="")
    a = p.parse_args()
    font = ImageFont.load_default()
    W, H = 900, 640
    im = Image.new("RGB", (W, H), "white")
    d = ImageDraw.Draw(im)
    d.text((60, 8), a.title, fill=(0, 0, 0), font=font)
    train_series, val_series = [], []
    for i, spec in enumerate(a.logs):
        path, _, label = spec.partition(":")
        label = label or path
        train, val = read(path)
        xk = (lambda r: r["step"] * a.batch) if a.x == "samples" else (lambda r: r["step"])
        colour = COLOURS[i % len(COLOURS)]
        train_series.append((f"{label} train NLL", colour, [(xk(r), r["nll"]) for r in train]))
        val_series.append((f"{label} val score", colour, [(xk(r), r["score"]) for r in val]))
        keys = list(dict.fromkeys(k for r in val for k in r["val"]))  # every set, in first-seen order
        if i == 0 and len(keys) > 1:
            for j, k in enumerate(keys):
                c2 = tuple(min(255, int(v * 0.5 + 127)) for v in COLOURS[(j + 3) % len(COLOURS)])
                val_series.append((f"{label} val {k}", c2, [(xk(r), r["val"][k]["sim"]) for r in val if k in r["val"]]))
    panel(d, (70, 40, W - 20, 300), train_series, "training NLL (per token)", font, a.x)
    panel(d, (70, 350, W - 20, H - 40), val_series, "validation: token similarity (1 - NED), greedy", font, a.x)
    d.text((W // 2 - 40, H - 18), "samples seen" if a.x == "samples" else "step", fill=(0, 0, 0), font=font)
    im.save(a.out)
    print("wrote", a.out)


if __name__ == "__main__":
    main()
