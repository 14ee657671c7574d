"""Benchmarks: plan speed and quality at brand and agency scale (``python -m benchmarks.run``)."""
