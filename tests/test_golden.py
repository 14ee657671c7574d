"""Golden test: the bundled sample plans, pinned to the yuan.

Policy: the figures in tests/golden/*.json change only when the economics change on
purpose (a rule, a default, the model of returns, the solver's objective). Then
regenerate them with one command::

    make golden        # or: .venv/bin/python tests/golden_plans.py

and say so in the commit message: which figures moved, by how much, and why. A change
meant to leave plans alone (a refactor, a faster solve, a new reader) must pass this
test untouched; if it does not, the change is wrong, not the figures.

Pinned per sample campaign (sample_data/portfolio.toml, the same inputs as ``make run``
and ``planner batch``): the number of orders, the total spend, the expected GMV, the
spend per tool and the spend per day phase (normal days, each big sale's phases).
"""

from __future__ import annotations

import pytest

from golden_plans import GOLDEN, plan_figures, read_golden, sample_plans

PLANS = sample_plans()


def test_every_sample_campaign_has_pinned_figures_and_no_other_does():
    assert sorted(p.stem for p in GOLDEN.glob("*.json")) == sorted(PLANS)


@pytest.mark.parametrize("name", sorted(PLANS))
def test_the_sample_plan_spends_and_earns_exactly_the_pinned_figures(name):
    campaign_file, videos_file = PLANS[name]
    assert plan_figures(campaign_file, videos_file) == read_golden(name)
