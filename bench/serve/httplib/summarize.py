#!/usr/bin/env python3
"""summarize.py FILE... - the runs of run.sh as a markdown table: per
config, every run's value and the median, for rps, p99 and server CPU
time per request at 64 and 512 connections, and RSS with 10k idle
connections."""
import re, statistics, sys
from collections import defaultdict

wrk = defaultdict(list)      # (config, conns) -> [(rps, p99_ms, cpu_us)]
rss = defaultdict(list)      # config -> [MiB]
order = []


def ms(v):
    m = re.match(r"([\d.]+)(us|ms|s)$", v)
    x = float(m.group(1))
    return x / 1000 if m.group(2) == "us" else x * 1000 if m.group(2) == "s" else x


for path in sys.argv[1:]:
    for line in open(path):
        f = line.split()
        if len(f) >= 7 and f[2] in ("64", "512") and re.match(r"[\d.]+$", f[3]):
            cpu = float(f[6]) if len(f) >= 9 and re.match(r"[\d.]+$", f[6]) else None
            wrk[(f[0], f[2])].append((float(f[3]), ms(f[5]), cpu))
            if f[0] not in order:
                order.append(f[0])
        m = re.search(r"rss_idle_kib=(\d+) answered=(\d+)", line)
        if m and m.group(2) == "10000":
            rss[f[0]].append(int(m.group(1)) / 1024)


def cell(xs, fmt):
    xs = [x for x in xs if x is not None]
    if not xs:
        return "-"
    return f"**{fmt(statistics.median(xs))}** ({', '.join(fmt(x) for x in xs)})"


k = lambda x: f"{x / 1000:.1f}k"
p = lambda x: f"{x:.0f}"
c = lambda x: f"{x:.1f}"
print("| config | rps@64 | p99@64 ms | CPU µs/req @64 | rps@512 | p99@512 ms "
      "| CPU µs/req @512 | RSS 10k idle MiB |")
print("|---|---|---|---|---|---|---|---|")
for cfg in order:
    a, b = wrk[(cfg, "64")], wrk[(cfg, "512")]
    print(f"| {cfg} | {cell([r[0] for r in a], k)} | {cell([r[1] for r in a], p)} "
          f"| {cell([r[2] for r in a], c)} | {cell([r[0] for r in b], k)} "
          f"| {cell([r[1] for r in b], p)} | {cell([r[2] for r in b], c)} "
          f"| {cell(rss[cfg], lambda x: f'{x:.0f}')} |")
