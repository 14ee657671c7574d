"""Pure data shaping for the front ends: one module per app page, shared labels.

Nothing here imports Streamlit. The web app (``app/``) gathers input, calls jobs
and the core, and shows what these functions make of the results: ``plan`` (the
Plan page), ``videos``, ``replan``, ``whatif``, the ``campaign_form`` and the
``labels`` they share. Each is a plain function of its arguments, tested in
``tests/test_views.py``.
"""
