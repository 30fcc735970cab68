#!/usr/bin/env python3
"""A terminal screen captured with `tmux capture-pane -e -p` (text with SGR escape sequences),
as one HTML page that draws it cell for cell: for `scripts/screenshots`, which turns the page
into a PNG with headless Chromium.

Only SGR (colours, bold, dim, italic, underline, reverse) is understood: that is all tmux puts
in a captured pane. Usage: ansi_to_html.py COLS ROWS TITLE < screen.ansi > screen.html
"""

import html
import re
import sys
import unicodedata

# xterm's default 16 colours, as a dark terminal shows them.
BASE16 = [
    "#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]
FG, BG = "#d4d4d4", "#1e1e1e"


def color256(n):
    if n < 16:
        return BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return "#%02x%02x%02x" % (steps[n // 36], steps[(n // 6) % 6], steps[n % 6])
    v = 8 + (n - 232) * 10
    return "#%02x%02x%02x" % (v, v, v)


class Pen:
    def __init__(self):
        self.reset()

    def reset(self):
        self.fg = self.bg = None
        self.bold = self.dim = self.italic = self.underline = self.reverse = False

    def apply(self, params):
        ps = [int(p) if p else 0 for p in params.split(";")] if params else [0]
        i = 0
        while i < len(ps):
            p = ps[i]
            if p == 0:
                self.reset()
            elif p == 1:
                self.bold = True
            elif p == 2:
                self.dim = True
            elif p == 3:
                self.italic = True
            elif p == 4:
                self.underline = True
            elif p == 7:
                self.reverse = True
            elif p == 22:
                self.bold = self.dim = False
            elif p == 23:
                self.italic = False
            elif p == 24:
                self.underline = False
            elif p == 27:
                self.reverse = False
            elif 30 <= p <= 37:
                self.fg = BASE16[p - 30]
            elif 90 <= p <= 97:
                self.fg = BASE16[p - 90 + 8]
            elif 40 <= p <= 47:
                self.bg = BASE16[p - 40]
            elif 100 <= p <= 107:
                self.bg = BASE16[p - 100 + 8]
            elif p == 39:
                self.fg = None
            elif p == 49:
                self.bg = None
            elif p in (38, 48) and i + 1 < len(ps):
                if ps[i + 1] == 5 and i + 2 < len(ps):
                    c = color256(ps[i + 2])
                    i += 2
                elif ps[i + 1] == 2 and i + 4 < len(ps):
                    c = "#%02x%02x%02x" % tuple(ps[i + 2 : i + 5])
                    i += 4
                else:
                    c = None
                if p == 38:
                    self.fg = c
                else:
                    self.bg = c
            i += 1

    def style(self):
        fg, bg = self.fg or FG, self.bg or BG
        if self.reverse:
            fg, bg = bg, fg
        css = []
        if fg != FG:
            css.append("color:" + fg)
        if bg != BG:
            css.append("background:" + bg)
        if self.bold:
            css.append("font-weight:bold")
        if self.dim:
            css.append("opacity:.7")
        if self.italic:
            css.append("font-style:italic")
        if self.underline:
            css.append("text-decoration:underline")
        return ";".join(css)


SGR = re.compile(r"\x1b\[([0-9;]*)m")
OTHER = re.compile(r"\x1b(\[[0-9;?]*[A-Za-z]|\][^\x07]*\x07|.)")


def joins(c):
    """Whether `c` belongs to the cell before it (a combining mark, a joiner, a selector)."""
    return unicodedata.combining(c) or unicodedata.category(c) in ("Mn", "Me", "Cf")


def cells(text):
    """The text as terminal cells: (grapheme, width) pairs, width 2 for wide characters."""
    out = []
    for c in text:
        if out and joins(c):
            out[-1] = (out[-1][0] + c, out[-1][1])
        else:
            out.append((c, 2 if unicodedata.east_asian_width(c) in ("W", "F") else 1))
    return out


def text_html(text):
    """Plain ASCII flows as monospace text; any other grapheme gets a box exactly as wide as
    the cells the terminal gave it, so a fallback font's glyph widths cannot shift a column."""
    parts = []
    for g, w in cells(text):
        if g.isascii():
            parts.append(html.escape(g))
        else:
            parts.append('<i style="width:%dch">%s</i>' % (w, html.escape(g)))
    return "".join(parts)


def line_html(line, pen):
    out, pos = [], 0
    for m in SGR.finditer(line):
        out.append((pen.style(), line[pos : m.start()]))
        pen.apply(m.group(1))
        pos = m.end()
    out.append((pen.style(), line[pos:]))
    parts = []
    for style, text in out:
        text = OTHER.sub("", text)
        if not text:
            continue
        text = text_html(text)
        parts.append('<span style="%s">%s</span>' % (style, text) if style else text)
    return "".join(parts)


def main():
    cols, rows, title = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    lines = sys.stdin.read().split("\n")[:rows]
    lines += [""] * (rows - len(lines))
    pen = Pen()
    body = "\n".join(line_html(l, pen) for l in lines)
    print(
        """<!doctype html><html><head><meta charset="utf-8"><title>%s</title><style>
html,body{margin:0;background:%s}
pre{margin:0;padding:12px;color:%s;background:%s;
font:15px/18px "DejaVu Sans Mono","Noto Mono","WenQuanYi Micro Hei","Loma","Lohit Devanagari",monospace;
width:%dch;height:%dpx;white-space:pre;overflow:hidden;unicode-bidi:bidi-override;direction:ltr}
i{display:inline-block;font-style:inherit;text-align:center;overflow:visible;height:18px;
vertical-align:top;unicode-bidi:bidi-override}
</style></head><body><pre>%s</pre></body></html>"""
        % (html.escape(title), BG, FG, BG, cols, rows * 18, body)
    )


if __name__ == "__main__":
    main()
