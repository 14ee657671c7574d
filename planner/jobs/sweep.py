"""The budget-curve job: the one recipe for ``budget_curve.xlsx`` and ``.csv``.

``planner sweep --out`` and the app's What-if downloads both write through
``write_curve_xlsx``, so the two files are the same bytes for the same curve.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from planner.i18n import t
from planner.io.plan_files import LineChart, write_csv, write_frames_xlsx


def curve_paths(out: Path) -> dict[str, Path]:
    """Where ``planner sweep --out DIR`` writes the curve: one workbook, one CSV."""
    return {"xlsx": out / "budget_curve.xlsx", "csv": out / "budget_curve.csv"}


def write_curve_xlsx(curve: pd.DataFrame, path: Path, created: date) -> None:
    """The curve table and a native line chart of expected GMV by budget."""
    sheet = t("sheet.budget_curve")
    write_frames_xlsx(
        path, {sheet: curve},
        chart=LineChart(sheet, "budget", ("expected_gmv",), t("chart.gmv_by_budget")),
        created=created,
    )


def write_curve(curve: pd.DataFrame, paths: dict[str, Path], created: date) -> None:
    """Write both curve files (see ``curve_paths``)."""
    write_curve_xlsx(curve, paths["xlsx"], created)
    write_csv(curve, paths["csv"])
