"""Benchmarks that print the figures the README's performance section quotes."""
