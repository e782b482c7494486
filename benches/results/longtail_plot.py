#!/usr/bin/env python3
"""Draws the long-tail bench (benches/workerd/longtail.sh, longtail-matrix.sh) as an SVG: req/s
of passthrough, the JS HTMLRewriter peer and vitrine (left), and CPU microseconds per request
of the measured workerd process (right; dashed: the cold "first view" phase, every page new),
across the number of distinct pages (log x, log y). Writes the SVG itself: no plotting
library, no network.

usage: python3 benches/results/longtail_plot.py benches/results/longtail.txt benches/results/longtail.svg [colo]
Reads the `RESULT longtail ... variant=...` lines; per number of pages only the latest run counts.
With `colo` (cold or warm), only runs of that COLO mode (runs from before the mode existed are
cold); the mode of the runs drawn is in the subtitle.
"""
import math
import sys

SERIES = [("passthrough", "#9aa5b1"), ("peer", "#e8a33d"), ("vitrine", "#2f6fdf"), ("alt", "#8a4fd0")]


def fnum(v):
    try:
        x = float(v)
        return x if math.isfinite(x) and x > 0 else None
    except (TypeError, ValueError):
        return None


def latest(path, colo=None):
    """{pages: {variant: fields}} from the latest run of each number of pages (of COLO mode
    `colo`, if given)."""
    runs = {}  # pages -> (run, {variant: fields})
    try:
        lines = open(path).readlines()
    except FileNotFoundError:
        lines = []
    for line in lines:
        parts = line.split()
        if len(parts) < 2 or parts[0] != "RESULT" or parts[1] != "longtail":
            continue
        f = dict(p.split("=", 1) for p in parts[2:] if "=" in p)
        if "variant" not in f or "pages" not in f:
            continue
        if colo and f.get("colo", "cold") != colo:
            continue
        pages, run = int(f["pages"]), f.get("run", "")
        if pages in runs and run < runs[pages][0]:
            continue  # an older run listed after a newer one
        if pages not in runs or run > runs[pages][0]:
            runs[pages] = (run, {})
        runs[pages][1][f["variant"]] = f
    return {p: v for p, (_, v) in runs.items()}


def decades(lo, hi):
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if a == b:
        b += 1
    return a, b


def chart(rows, key, dashed_key, title, ylabel, x0, y0, w, h):
    out = []
    xs = sorted(rows)
    vals = [fnum(rows[p][s].get(k)) for p in xs for s, _ in SERIES if s in rows[p]
            for k in (key, dashed_key) if k]
    vals = [v for v in vals if v] or [1.0, 10.0]
    ya, yb = decades(min(vals), max(vals))
    xa, xb = decades(min(xs), max(xs)) if xs else (1, 5)
    sx = lambda p: x0 + w * (math.log10(p) - xa) / (xb - xa)
    sy = lambda v: y0 + h - h * (math.log10(v) - ya) / (yb - ya)
    out.append(f'<text x="{x0 + w / 2}" y="{y0 - 14}" text-anchor="middle" font-weight="bold">{title}</text>')
    out.append(f'<rect x="{x0}" y="{y0}" width="{w}" height="{h}" fill="none" stroke="#bbb"/>')
    for d in range(ya, yb + 1):
        y = sy(10 ** d)
        out.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{10 ** d:,}</text>')
    last = None
    for p in xs:
        x = sx(p)
        out.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y0 + h}" stroke="#eee"/>')
        # Counts close on the log axis (50,000 and 100,000) would print over each other: the
        # second label goes one line lower.
        dy = 11 if last is not None and x - last < 45 else 0
        last = x if dy == 0 else None
        out.append(f'<text x="{x:.1f}" y="{y0 + h + 16 + dy}" text-anchor="middle" font-size="11">{p:,}</text>')
    out.append(f'<text x="{x0 + w / 2}" y="{y0 + h + 34}" text-anchor="middle" font-size="12">distinct pages (log)</text>')
    out.append(f'<text x="{x0 - 52}" y="{y0 + h / 2}" transform="rotate(-90 {x0 - 52} {y0 + h / 2})" '
               f'text-anchor="middle" font-size="12">{ylabel}</text>')
    for k, dash in ((key, ""), (dashed_key, ' stroke-dasharray="5 4"')):
        if not k:
            continue
        for s, color in SERIES:
            pts = [(sx(p), sy(v), v) for p in xs if s in rows[p] for v in [fnum(rows[p][s].get(k))] if v]
            if not pts:
                continue
            if len(pts) > 1:
                poly = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in pts)
                out.append(f'<polyline points="{poly}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
            for x, y, v in pts:
                out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{"white" if dash else color}" stroke="{color}" stroke-width="1.5"/>')
                out.append(f'<text x="{x + 5:.1f}" y="{y - 6:.1f}" font-size="10" fill="#333">{v:,.0f}</text>')
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    colo = sys.argv[3] if len(sys.argv) > 3 else None
    rows = latest(src, colo)
    modes = sorted({f.get("colo", "cold") for r in rows.values() for f in r.values()})
    w, h = 420, 280
    present = [s for s in SERIES if any(s[0] in r for r in rows.values())] or SERIES[:3]
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="1080" height="430" font-family="sans-serif" font-size="13">',
             '<rect width="100%" height="100%" fill="white"/>']
    if not rows:
        parts.append('<text x="540" y="200" text-anchor="middle">no long-tail results yet</text>')
    else:
        parts += chart(rows, "rps", None, "throughput, long-tail shop traffic", "req/s (log)", 90, 50, w, h)
        parts += chart(rows, "cpu_us", "firstview_cpu_us", "CPU per request (dashed: first views, cold)",
                       "µs CPU per request (log)", 620, 50, w, h)
    if modes:
        subtitle = ("each run a cold isolate in a " + modes[0] + " colo (COLO=" + modes[0] + ")"
                    if len(modes) == 1 else "runs of both COLO modes: " + ", ".join(modes))
        parts.append(f'<text x="540" y="18" text-anchor="middle" font-size="12" fill="#555">{subtitle}</text>')
    for j, (s, color) in enumerate(present):
        x = 330 + j * 130
        parts.append(f'<rect x="{x}" y="400" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 18}" y="411">{s}</text>')
    parts.append("</svg>")
    open(dst, "w").write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
