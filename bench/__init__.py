"""Benchmarks: each writes a markdown table under bench/results/ (`autosynthda bench ...`); not part of the library."""
