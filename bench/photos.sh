#!/usr/bin/env bash
# Photo pipeline against libvips: the 12 MP phone photo (`../shared/fixtures/images/phone-12mp.jpg`)
# into the full variant set, next to `vipsthumbnail` making the same six files in the same run.
#
#   bench/photos.sh
#   CARGO_TARGET_DIR=/work/target-release bench/photos.sh   # a shared release target dir
#
# What it does (see benches/photos.rs): runs `cargo bench --bench photos`, which times each job
# of ours in a child process (this bench re-executed with `--single-job`) interleaved with
# `vipsthumbnail` ×6, and prints the median time, peak memory per job and the ratio to libvips.
# Targets (issue 10): ≤ 0.30 × libvips' time, ≤ 150 MiB peak. Needs `vipsthumbnail` (Debian
# `libvips-tools`): it stops with a message when it is missing.
# Run it on a quiet machine: the load average is printed before and after.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
if ! command -v vipsthumbnail >/dev/null; then
  echo "bench/photos.sh: \`vipsthumbnail\` is missing, the anchor of this benchmark:" >&2
  echo "apt-get install libvips-tools" >&2
  exit 1
fi
echo "machine: $(nproc) cores, $(lscpu | grep 'Model name' | sed 's/ \+/ /g'), load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
echo "anchor: $(vipsthumbnail --vips-version 2>/dev/null || vips --version 2>/dev/null || echo libvips)" >&2

cargo bench --quiet --bench photos --no-run
cargo bench --quiet --bench photos
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
