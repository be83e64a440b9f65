#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""chart.py — bench/run's figures as an SVG chart, for the README and docs.

Reads lines "<figure> <peer> <ratio>" on stdin (ratio > 1: otter ahead of
that peer, as bench/run prints it) and writes a self-contained SVG on
stdout: a row per figure, a horizontal bar per peer from the line at 1
(even) to its ratio on a log scale, right of the line where otter is
ahead, left where it is behind, one colour per peer. Lines that are
malformed or whose ratio is not a positive number are left out (and said
on stderr). Standard library only.
"""
import math
import sys
from xml.sax.saxutils import escape

COLOURS = {"erlang": "#a2003e", "go": "#00add8"}
OTHER = ["#6a5acd", "#2e8b57", "#d2691e"]
ROW, BAR, LABEL_W, PLOT_W, PAD = 26, 9, 190, 520, 16
LIMIT = 10.0  # the scale runs from 1/LIMIT to LIMIT (ratios beyond: clipped)


def read(lines):
    figures, peers, rows = [], [], {}
    for n, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        try:
            fig, peer, ratio = parts[0], parts[1], float(parts[2])
            if len(parts) != 3 or not ratio > 0 or math.isinf(ratio):
                raise ValueError
        except (ValueError, IndexError):
            print(f"chart.py: line {n} left out: {line.strip()!r}",
                  file=sys.stderr)
            continue
        if fig not in rows:
            figures.append(fig)
            rows[fig] = {}
        if peer not in peers:
            peers.append(peer)
        rows[fig][peer] = ratio
    return figures, peers, rows


def colour(peer, peers):
    if peer in COLOURS:
        return COLOURS[peer]
    return OTHER[peers.index(peer) % len(OTHER)]


def x_of(ratio):
    r = min(max(ratio, 1 / LIMIT), LIMIT)
    return LABEL_W + PLOT_W / 2 * (1 + math.log10(r) / math.log10(LIMIT))


def svg(figures, peers, rows):
    legend_h = 24
    height = PAD * 2 + legend_h + ROW * max(len(figures), 1) + 20
    width = LABEL_W + PLOT_W + PAD * 2
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
           f'height="{height}" viewBox="0 0 {width} {height}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>']
    top = PAD + legend_h
    x = LABEL_W
    for peer in peers:
        out.append(f'<rect x="{x}" y="{PAD}" width="12" height="12" '
                   f'fill="{colour(peer, peers)}"/>')
        out.append(f'<text x="{x + 16}" y="{PAD + 11}">otter vs '
                   f'{escape(peer)}</text>')
        x += 130
    out.append(f'<text x="{width - PAD}" y="{PAD + 11}" text-anchor="end" '
               'fill="#555">ratio (log scale); right of 1: otter ahead</text>')
    for tick in (0.1, 0.2, 0.5, 1, 2, 5, 10):
        tx = x_of(tick)
        bottom = top + ROW * len(figures)
        stroke = "#333" if tick == 1 else "#ddd"
        out.append(f'<line x1="{tx:.1f}" y1="{top}" x2="{tx:.1f}" '
                   f'y2="{bottom}" stroke="{stroke}"/>')
        label = f"{tick:g}x"
        out.append(f'<text x="{tx:.1f}" y="{bottom + 14}" '
                   f'text-anchor="middle" fill="#555">{label}</text>')
    for i, fig in enumerate(figures):
        y = top + i * ROW
        out.append(f'<text x="{LABEL_W - 8}" y="{y + ROW / 2 + 4}" '
                   f'text-anchor="end">{escape(fig)}</text>')
        for j, peer in enumerate(p for p in peers if p in rows[fig]):
            r = rows[fig][peer]
            x0, x1 = x_of(1), x_of(r)
            by = y + 3 + j * (BAR + 1)
            out.append(f'<rect x="{min(x0, x1):.1f}" y="{by}" '
                       f'width="{max(abs(x1 - x0), 1):.1f}" height="{BAR}" '
                       f'fill="{colour(peer, peers)}">'
                       f'<title>{escape(fig)}: {r:g}x {escape(peer)}'
                       '</title></rect>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def main():
    figures, peers, rows = read(sys.stdin)
    if not figures:
        print("chart.py: no figures to draw", file=sys.stderr)
        return 1
    sys.stdout.write(svg(figures, peers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
