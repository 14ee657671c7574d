"""Jobs: what a command or a page asks for, end to end.

A job reads the inputs through ``planner.io``, calls the pure core (planning,
re-planning, the sweep) and writes the outputs; the CLI, the app and the batch
workers call jobs and nothing below them directly.
"""
