#!/usr/bin/env python3
"""Where the samples themselves land (self time), from a `perf script -F comm,tid,ip,sym` dump.

    perf_self.py DUMP [PATTERN] [TOP=30]

For the samples whose stack holds a frame containing PATTERN (every sample without one), the
innermost frame, with its share of all samples: the leaves a profile's time is spent in (e.g.
`_raw_spin_unlock_irqrestore` and `finish_task_switch` for thread switches, `_int_malloc` for the
allocator). bench/perf_shares.py gives inclusive shares, bench/perf_below.py a function's callees.
"""
import re
import sys
from collections import Counter

from perf_shares import stacks


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    path = sys.argv[1]
    pattern = sys.argv[2] if len(sys.argv) > 2 else ""
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 30
    leaves = Counter()
    total = 0
    inside = 0
    for stack in stacks(path):
        total += 1
        if not stack or not any(pattern in frame for frame in stack):
            continue
        inside += 1
        leaves[re.sub(r"^\s*[0-9a-f]+\s+", "", stack[0])[:110]] += 1
    if total == 0:
        sys.exit("no samples with call stacks in the dump")
    print(f"{pattern or 'every sample'}: {100 * inside / total:.1f} % of {total} samples; innermost frames:")
    for frame, n in leaves.most_common(top):
        print(f"| {frame:<110} | {100 * n / total:5.1f} % |")


if __name__ == "__main__":
    main()
