"""Benchmark harness and data generator."""
