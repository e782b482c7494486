#!/usr/bin/env python3
"""Draws req/s of passthrough, the JS HTMLRewriter peer and vitrine per page size as a grouped
bar chart in SVG (log scale), from the RESULT lines matrix.sh collects. Writes the SVG itself:
no plotting library, no network.

usage: python3 benches/results/plot.py benches/results/matrix.txt benches/results/throughput.svg
Only the latest line per (mode, page) is drawn.
"""
import math
import sys

SERIES = [("passthrough", "#9aa5b1"), ("peer", "#e8a33d"), ("vitrine", "#2f6fdf")]
PAGES = ["listing-10k.html", "listing-136k.html", "listing-1m.html"]
LABELS = {"listing-10k.html": "10 KB", "listing-136k.html": "136 KB", "listing-1m.html": "1 MB"}


def latest(path):
    rows = {}
    for line in open(path):
        fields = dict(f.split("=", 1) for f in line.split()[1:] if "=" in f)
        if "mode" in fields and "page" in fields:
            rows[(fields["mode"], fields["page"])] = fields
    return rows


def chart(rows, mode, x0, y0, w, h):
    out = []
    top = max([float(r[s]) for (m, _), r in rows.items() if m == mode for s, _ in SERIES] + [10])
    lo, hi = 1.0, 10 ** math.ceil(math.log10(top))
    scale = lambda v: h * (math.log10(max(v, lo)) - math.log10(lo)) / (math.log10(hi) - math.log10(lo))
    title = {"spliced": "cached page with a validator (spliced)",
             "streamed": "page without a validator (streaming rewrite)"}[mode]
    out.append(f'<text x="{x0 + w / 2}" y="{y0 - 12}" text-anchor="middle" font-weight="bold">{title}</text>')
    decade = 1
    while decade <= hi:
        y = y0 + h - scale(decade)
        out.append(f'<line x1="{x0}" x2="{x0 + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{decade:,}</text>')
        decade *= 10
    group = w / len(PAGES)
    bar = group / (len(SERIES) + 1)
    for i, page in enumerate(PAGES):
        r = rows.get((mode, page))
        gx = x0 + i * group + bar / 2
        out.append(f'<text x="{x0 + i * group + group / 2}" y="{y0 + h + 18}" text-anchor="middle">{LABELS[page]}</text>')
        if not r:
            continue
        for j, (s, color) in enumerate(SERIES):
            v = float(r[s])
            bh = scale(v)
            x = gx + j * bar
            out.append(f'<rect x="{x:.1f}" y="{y0 + h - bh:.1f}" width="{bar * 0.9:.1f}" height="{bh:.1f}" fill="{color}"/>')
            out.append(f'<text x="{x + bar * 0.45:.1f}" y="{y0 + h - bh - 3:.1f}" text-anchor="middle" font-size="10">{v:,.0f}</text>')
    out.append(f'<text x="{x0 - 44}" y="{y0 + h / 2}" transform="rotate(-90 {x0 - 44} {y0 + h / 2})" text-anchor="middle" font-size="12">req/s (log)</text>')
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    rows = latest(src)
    w, h = 420, 260
    parts = ['<svg xmlns="http://www.w3.org/2000/svg" width="1040" height="380" font-family="sans-serif" font-size="13">',
             '<rect width="100%" height="100%" fill="white"/>']
    parts += chart(rows, "spliced", 80, 50, w, h)
    parts += chart(rows, "streamed", 600, 50, w, h)
    for j, (s, color) in enumerate(SERIES):
        x = 360 + j * 130
        parts.append(f'<rect x="{x}" y="350" width="12" height="12" fill="{color}"/>')
        parts.append(f'<text x="{x + 18}" y="361">{s}</text>')
    parts.append("</svg>")
    open(dst, "w").write("\n".join(parts) + "\n")


if __name__ == "__main__":
    main()
