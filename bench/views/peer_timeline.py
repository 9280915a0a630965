"""Peer of BenchmarkTimeline1M: the same picture made the way a HELK/pandas notebook makes it.

One million events in a pandas DataFrame (a timestamp over two days, an EventID of skewed
frequency), then, timed: the 14 most frequent EventIDs plus "other", counts per 30-minute bucket
and lane (pandas groupby), and a lane chart drawn by matplotlib to an SVG in memory. Prints the
median milliseconds of 5 runs on stdout.
"""
import io
import statistics
import sys
import time

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

N = 1_000_000
rng = np.random.default_rng(1)
start = np.datetime64("2020-09-21T00:00:00", "us")
df = pd.DataFrame(
    {
        "ts": start + rng.integers(0, 172_800_000_000, N).astype("timedelta64[us]"),
        "EventID": (np.floor((rng.integers(0, 1000, N) / 1000.0) ** 3 * 20) + 1).astype(int),
    }
)


def picture():
    counts = df["EventID"].value_counts()
    top = list(counts.index[:14])
    lane = df["EventID"].where(df["EventID"].isin(top), other=-1)
    bucket = df["ts"].dt.floor("30min")
    grid = df.groupby([lane, bucket]).size().unstack(fill_value=0)
    fig, ax = plt.subplots(figsize=(9, 5))
    order = top + ([-1] if -1 in grid.index else [])
    width = pd.Timedelta("30min")
    peak = np.log1p(grid.values.max())
    for i, v in enumerate(order):
        row = grid.loc[v]
        y = len(order) - 1 - i
        h = np.maximum(np.log1p(row.values) / peak, 0.12) * 0.84
        nz = row.values > 0
        ax.bar(row.index[nz], h[nz], width=width, bottom=y - 0.42, align="edge")
    ax.set_yticks(range(len(order)), [str(v) if v != -1 else "(other values)" for v in reversed(order)])
    ax.set_xlabel("time (UTC)")
    ax.set_title(f"{N:,} events over time by EventID")
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    plt.close(fig)
    return buf.getvalue()


times = []
for _ in range(5):
    t0 = time.perf_counter()
    svg = picture()
    times.append((time.perf_counter() - t0) * 1000)
    assert "<svg" in svg
print(f"{statistics.median(times):.0f}")
sys.stdout.flush()
