"""Small DataFrame helpers shared by the core."""

from __future__ import annotations

import math
from typing import Any

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: typed access without pandas' row types."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]


def gmv_known(value: object) -> bool:
    """Whether an actual's GMV was reported: a missing GMV (null, NaN) is unknown, never 0."""
    return value is not None and not (isinstance(value, float) and math.isnan(value))
