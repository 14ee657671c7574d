"""Douyin budget planner: score KOL videos, apply the AIMT rules, optimise, export.

The pipeline reads as models -> scoring -> rules -> response -> optimiser ->
planning; ``planner.io`` and ``planner.cli`` are the edges.
"""

__version__ = "0.1.0"
