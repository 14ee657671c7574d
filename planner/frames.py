"""Small DataFrame helpers shared by the core."""

from __future__ import annotations

from typing import Any

import pandas as pd


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as plain dicts: typed access without pandas' row types."""
    return [{str(k): v for k, v in row.items()} for row in frame.to_dict("records")]
