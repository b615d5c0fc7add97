#!/usr/bin/env python3
"""Inclusive shares of named functions in a `perf script -F comm,tid,ip,sym` dump.

    perf_shares.py DUMP PATTERN...

A sample counts for PATTERN when any frame of its stack contains PATTERN (a substring of the
symbol): the share of the samples in which that function, or anything it called, was running.
Prints one line per pattern, largest first, and the number of samples.
"""
import sys


def stacks(path):
    current = []
    with open(path, errors="replace") as dump:
        for line in dump:
            if not line.strip():
                if current:
                    yield current
                current = []
            elif line[0] in " \t":
                parts = line.strip().split(" ", 1)
                current.append(parts[1] if len(parts) > 1 else "?")
            else:
                current = []
    if current:
        yield current


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    patterns = sys.argv[2:]
    hits = dict.fromkeys(patterns, 0)
    total = 0
    for stack in stacks(sys.argv[1]):
        total += 1
        for p in patterns:
            if any(p in frame for frame in stack):
                hits[p] += 1
    if total == 0:
        sys.exit("no samples with call stacks in the dump")
    for p, n in sorted(hits.items(), key=lambda e: -e[1]):
        print(f"| {p:<60} | {100 * n / total:5.1f} % |")
    print(f"{total} samples")


if __name__ == "__main__":
    main()
