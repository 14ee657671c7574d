"""KPIs of the traffic actually bought: per video, per tool or per day (pure).

Input: the daily actuals as ``planner.io.actuals.read_actuals`` returns them
(``date, video_id, tool, spend, gmv, plays`` and the optional counts
``orders, clicks, likes, comments``, NaN when not reported) plus the videos,
which give each KOL's followers. Every KPI is a ratio of sums over the group,
never an average of daily ratios, so a big day weighs more than a small one:

    GPM                   = gmv / (plays / 1000)               yuan per 1,000 plays
    CPM                   = spend / (plays / 1000)             yuan per 1,000 plays
    traffic ROI           = GPM / CPM = gmv / spend            ratio
    CTR                   = clicks / plays x 100               percent
    conversion rate       = orders / clicks x 100              percent
    engagement by follower= (likes + comments) / followers x 100  percent
    comment-like rate     = comments / likes                   ratio (e.g. 0.04)

GPM / CPM equals gmv / spend here because both are counted over the same paid
plays, so traffic ROI is computed as gmv / spend: that still tells a loss when
the platform has not reported a day's plays yet (spend, but 0 plays). The
planner's score (``planner.scoring``) divides a GPM from natural
plays by a reference CPM, which matches actual ROI only if paid plays convert
like natural ones.

An optional count enters a KPI only from the rows that report it, together
with the matching denominator: a day without clicks does not lower the CTR.
Followers of a group are the followers of its distinct videos, each counted
once. A zero or missing denominator gives NaN (a blank cell), never infinity.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final, Literal

import numpy as np
import pandas as pd

from planner.models import Video

__all__ = ["KPI_COLUMNS", "KpiBy", "kpi_table", "kpi_tables"]

KpiBy = Literal["video", "tool", "day"]

_KEYS: Final[dict[str, str]] = {"video": "video_id", "tool": "tool", "day": "date"}
_REQUIRED: Final = ("date", "video_id", "tool", "spend", "gmv", "plays")
_OPTIONAL: Final = ("orders", "clicks", "likes", "comments")
_SUMS: Final = ("spend", "gmv", "plays", *_OPTIONAL)

KPI_COLUMNS: Final[tuple[str, ...]] = (
    "spend", "gmv", "plays", "orders", "clicks", "likes", "comments", "followers",
    "gpm", "cpm", "traffic_roi", "ctr_pct", "conversion_rate_pct", "engagement_rate_pct",
    "comment_like_rate",
)


def _ratio(numerator: pd.Series, denominator: pd.Series,
           scale: float = 1.0) -> np.ndarray[tuple[int], np.dtype[np.float64]]:
    den = np.where(denominator > 0, denominator, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = (numerator.to_numpy("float64") / den * scale).astype("float64")
    out[np.isinf(out)] = np.nan
    return out


def kpi_table(
    actuals: pd.DataFrame, videos: Sequence[Video], by: KpiBy = "video"
) -> pd.DataFrame:
    """One row per video, tool or day with the sums and the KPIs (see the module doc).

    ``by="video"`` adds the KOL name. Rows are sorted by the key. Raises
    ``ValueError`` for an unknown ``by`` or a frame without the required columns.
    """
    return kpi_tables(actuals, videos, (by,))[by]


def kpi_tables(
    actuals: pd.DataFrame, videos: Sequence[Video], bys: Sequence[KpiBy] = ("video", "tool", "day")
) -> dict[KpiBy, pd.DataFrame]:
    """``kpi_table`` by each of ``bys``: the actuals are read into the counts once."""
    for by in bys:
        if by not in _KEYS:
            raise ValueError(f"by must be one of {', '.join(_KEYS)}, not {by!r}")
    missing = [c for c in _REQUIRED if c not in actuals.columns]
    if missing:
        raise ValueError(f"actuals lack the column(s) {', '.join(missing)}")
    df = _counts(actuals, videos)
    return {by: _table(df, actuals, videos, by) for by in bys}


def _counts(actuals: pd.DataFrame, videos: Sequence[Video]) -> pd.DataFrame:
    """The actuals' counts as floats, with each video's followers and, per optional KPI,
    its numerator and denominator from the same rows."""
    followers_of = {v.video_id: float(v.followers) for v in videos}
    df = pd.DataFrame({
        "video_id": actuals["video_id"].astype(str),
        **{c: pd.to_numeric(actuals[c], errors="coerce").astype("float64") for c in
           ("spend", "gmv", "plays")},
        **{
            c: (pd.to_numeric(actuals[c], errors="coerce").astype("float64")
                if c in actuals.columns else pd.Series(np.nan, index=actuals.index))
            for c in _OPTIONAL
        },
    })
    df["followers"] = df["video_id"].map(followers_of).astype("float64")
    has_clicks = df["clicks"].notna()
    has_conversion = has_clicks & df["orders"].notna()
    has_reactions = df["likes"].notna() & df["comments"].notna()
    has_engagement = has_reactions & df["followers"].notna()
    # Numerator and denominator of each optional KPI come from the same rows.
    df["_ctr_plays"] = df["plays"].where(has_clicks)
    df["_conv_orders"] = df["orders"].where(has_conversion)
    df["_conv_clicks"] = df["clicks"].where(has_conversion)
    df["_eng"] = (df["likes"] + df["comments"]).where(has_engagement)
    df["_cl_likes"] = df["likes"].where(has_reactions)
    df["_cl_comments"] = df["comments"].where(has_reactions)
    df["_engaged"] = has_engagement
    return df


def _table(df: pd.DataFrame, actuals: pd.DataFrame, videos: Sequence[Video],
           by: KpiBy) -> pd.DataFrame:
    key = _KEYS[by]
    df["key"] = actuals[key].astype(object)
    columns = [*_SUMS, "_ctr_plays", "_conv_orders", "_conv_clicks", "_eng", "_cl_likes",
               "_cl_comments"]
    grouped = df.groupby("key", sort=True)
    # min_count=1: a count nobody reported stays blank instead of becoming 0.
    sums = grouped[columns].sum(min_count=1)
    reach = (
        df[df["_engaged"]].drop_duplicates(["key", "video_id"])
        .groupby("key")["followers"].sum()
    )
    followers = reach.reindex(sums.index).astype("float64")

    out = pd.DataFrame({
        **{column: sums[column] for column in _SUMS},
        "followers": followers,
        "gpm": _ratio(sums["gmv"], sums["plays"], 1000.0),
        "cpm": _ratio(sums["spend"], sums["plays"], 1000.0),
        "traffic_roi": _ratio(sums["gmv"], sums["spend"]),
        "ctr_pct": _ratio(sums["clicks"], sums["_ctr_plays"], 100.0),
        "conversion_rate_pct": _ratio(sums["_conv_orders"], sums["_conv_clicks"], 100.0),
        "engagement_rate_pct": _ratio(sums["_eng"], followers, 100.0),
        "comment_like_rate": _ratio(sums["_cl_comments"], sums["_cl_likes"]),
    }, index=sums.index)

    out.index.name = key
    out = out.reset_index()
    if by == "video":
        names = {v.video_id: v.kol_name for v in videos}
        out.insert(1, "kol_name", out["video_id"].map(lambda vid: names.get(str(vid), "")))
    return out
