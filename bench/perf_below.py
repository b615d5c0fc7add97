#!/usr/bin/env python3
"""What a function spends its time on, from a `perf script -F comm,tid,ip,sym` dump.

    perf_below.py DUMP PATTERN [DEPTH=1] [TOP=25]

For the samples whose stack holds a frame containing PATTERN, the frames DEPTH levels below
the outermost such frame (its callees), with their share of all samples; "(self)" is time in
the function itself. Shares are inclusive, as in bench/perf_shares.py.
"""
import sys
from collections import Counter

from perf_shares import stacks


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    path, pattern = sys.argv[1], sys.argv[2]
    depth = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    top = int(sys.argv[4]) if len(sys.argv) > 4 else 25
    below = Counter()
    total = 0
    inside = 0
    for stack in stacks(path):
        total += 1
        # perf prints the innermost frame first: the outermost match is the last one.
        at = [i for i, frame in enumerate(stack) if pattern in frame]
        if not at:
            continue
        inside += 1
        i = at[-1] - depth
        below[stack[i] if i >= 0 else "(self)"] += 1
    if total == 0:
        sys.exit("no samples with call stacks in the dump")
    print(f"{pattern}: {100 * inside / total:.1f} % of {total} samples; below it:")
    for frame, n in below.most_common(top):
        print(f"| {frame[:90]:<90} | {100 * n / total:5.1f} % |")


if __name__ == "__main__":
    main()
