//! Synthetic catalogue vocabulary and a deterministic document generator (benchmarks, `demo --synthetic`).
