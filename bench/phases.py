#!/usr/bin/env python3
"""Phases of `run --rm` from `perf trace -e execve,exit_group,mkdirat,connect`
outputs (bench/phases.sh): for each build (a prefix of the files), the
median over its runs of the time between the events that start each phase.
Usage: phases.py NAME=GLOB [NAME=GLOB ...]"""
import glob
import re
import statistics
import sys

EVENT = re.compile(r'^\s*([\d.]+) \(\s*[\d.]*\s*(?:ms)?\): ([^/]+)/(\d+) (\w+)\((.*)')
# A call that other events interrupted ends on a line of its own, under the
# process's name after it (an execve's new name): "... [continued]: execve()".
CONTINUED = re.compile(r'^\s*([\d.]+) \(\s*[\d.]*\s*(?:ms)?\): ([^/]+)/(\d+)\s+\.\.\. \[continued\]: (\w+)\((.*)')
# The C monitor's frames to the attached CLI: the exit frame ("CODE rm+")
# is its first with a payload after the container's exit.
FRAME_LEN = re.compile(r'len: (\d+)')

ROWS = [
    ("CLI start to its first record (Go start, flags, image lookup)", None, "create"),
    ("records, snapshot, mount, until the monitor's exec", "create", "monitor"),
    ("monitor's exec until the start request", "monitor", "connect"),
    ("start request until the runtime's exec (monitor)", "connect", "rt"),
    ("`runtime run --detach` until `true` exits", "rt", "true"),
    ("`true`'s exit until `runtime delete`'s exec (monitor)", "true", "delete"),
    ("`runtime delete`", "delete", "deleted"),
    ("the delete's end until the CLI exits", "deleted", "end"),
    ("(`true`'s exit until the exit frame goes to the CLI: monitor)", "true", "exitframe"),
    ("(the exit frame until the CLI exits: its removals, the delete beside them)", "exitframe", "end"),
    ("total", None, "end"),
]


def marks(path):
    ev = []
    for line in open(path):
        m = EVENT.match(line) or CONTINUED.match(line)
        if m:
            ev.append((float(m.group(1)), m.group(2), m.group(4), m.group(5), m.group(3)))
    ev.sort()
    frames = [t for t, c, s, a, _ in ev if c.startswith("jinn-monitor") and s == "sendto"
              and FRAME_LEN.search(a) and int(FRAME_LEN.search(a).group(1)) > 5]
    pids = ev
    ev = [(t, c, s) for t, c, s, _, _ in ev]

    def first(pred, after=0.0):
        return next((t for t, c, s in ev if t >= after and pred(c, s)), None)

    t = {
        "create": first(lambda c, s: c == "jinn" and s == "mkdirat"),
        "monitor": first(lambda c, s: c.startswith("jinn-monitor") and s == "execve"),  # -c: the C one
        "connect": first(lambda c, s: c == "jinn" and s == "connect"),
        "rt": first(lambda c, s: s == "execve" and "jinn-runtime" in c),
        "true": first(lambda c, s: c == "true" and s == "exit_group"),
    }
    # The delete is the monitor's one exec after the container's exit. An
    # exec's line may carry the name from before it (jinn-monitor-c), so
    # it and its exit are found by pid, not by name.
    after = t["true"] or 0
    dpid = next((p for x, c, s, _, p in pids if x >= after and s == "execve" and c != "jinn"), None)
    t["delete"] = next((x for x, c, s, _, p in pids if x >= after and s == "execve" and p == dpid), None)
    t["deleted"] = next((x for x, c, s, _, p in pids if s == "exit_group" and p == dpid), None)
    t["end"] = max(x for x, _, _ in ev)
    t["exitframe"] = next((x for x in frames if t["true"] is not None and x >= t["true"]), None)
    return t


def main():
    builds = [a.split("=", 1) for a in sys.argv[1:]]
    runs = {n: [marks(p) for p in sorted(glob.glob(g))] for n, g in builds}
    print("| phase (wall ms, median) | " + " | ".join(n for n, _ in builds) + " |")
    print("| --- |" + " --- |" * len(builds))
    for name, a, b in ROWS:
        cells = []
        for n, _ in builds:
            vals = [r[b] - (r[a] if a else 0) for r in runs[n]
                    if r.get(b) is not None and (a is None or r.get(a) is not None)]
            cells.append("%.1f" % statistics.median(vals) if vals else "-")
        print("| %s | %s |" % (name, " | ".join(cells)))


main()
