"""Benchmarks: polling cost per vendor, run by scripts/benchmark."""
