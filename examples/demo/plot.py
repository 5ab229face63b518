"""The demo's plot: RSS against connections, without and with the shim,
for the plain loop and for the loop that keeps its responses.

Writes DIR/rss-vs-connections.dat (one block per series, for gnuplot's
`index`), DIR/rss-vs-connections.gp and, through gnuplot,
DIR/rss-vs-connections.png.
"""

import os
import subprocess

SERIES = (  # key, title, line style
    ("keep_without", "responses kept, without shim", "lc rgb '#c0392b' lw 2"),
    ("keep_with", "responses kept, with shim", "lc rgb '#27ae60' lw 2"),
    ("drop_without", "responses dropped, without shim", "lc rgb '#c0392b' lw 2 dt 2"),
    ("drop_with", "responses dropped, with shim", "lc rgb '#27ae60' lw 2 dt 2"),
)

SCRIPT = """\
set terminal pngcairo size 960,600 font ",11"
set output '{png}'
set title "{title}"
set xlabel "connections (one requests.get() each, gc disabled)"
set ylabel "RSS (MiB)"
set key top left
set grid
plot {plots}
"""


def write(directory, runs, title):
    """RUNS: key -> [[connections, rss_kib], ...].  Returns the PNG path,
    or raises RuntimeError with gnuplot's message."""
    os.makedirs(directory, exist_ok=True)
    dat = os.path.join(directory, "rss-vs-connections.dat")
    gp = os.path.join(directory, "rss-vs-connections.gp")
    png = os.path.join(directory, "rss-vs-connections.png")
    plots = []
    with open(dat, "w", encoding="ascii") as f:
        for i, (key, label, style) in enumerate(SERIES):
            f.write("# %s\n" % label)
            for n, kib in runs[key]:
                f.write("%d %.2f\n" % (n, kib / 1024.0))
            f.write("\n\n")  # two blank lines end a gnuplot data block
            plots.append("'%s' index %d using 1:2 with lines %s title '%s'" % (
                dat, i, style, label))
    with open(gp, "w", encoding="ascii") as f:
        f.write(SCRIPT.format(png=png, title=title, plots=", \\\n     ".join(plots)))
    proc = subprocess.run(["gnuplot", gp], capture_output=True, text=True, timeout=120)
    if proc.returncode != 0 or not os.path.exists(png):
        raise RuntimeError("gnuplot failed: %s" % proc.stderr.strip())
    return png
