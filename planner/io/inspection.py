"""``planner inspect`` and the app's upload panel: what a file is recognised as, how its
columns are read, and its first rows as the planner reads them.

Above the readers (``recognise`` → ``roster`` / ``actuals`` → ``inspection``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from planner.config import DEFAULT_GMV_FAMILY, Campaign
from planner.i18n import has, t
from planner.io.actuals import read_actual_rows
from planner.io.headers import read_table
from planner.io.layouts import HEADER_SPECS, Family, Kind
from planner.io.recognise import map_file, recognise, split_dated, unused_note
from planner.io.roster import read_videos
from planner.models import Video


@dataclass(frozen=True)
class Inspection:
    """What ``planner inspect`` and the app show for one file."""

    file: str
    layout_id: str
    label: str
    kind: Kind
    family: Family
    mapping: tuple[tuple[str, str], ...]
    unused: tuple[str, ...]
    notes: tuple[str, ...]
    preview: pd.DataFrame  # the first rows as the planner reads them


def inspect_file(path: Path, campaign: Campaign | None = None, *, rows: int = 5,
                 plan_date: date | None = None, videos: Sequence[Video] = ()) -> Inspection:
    """Recognise a file and read its first rows as the planner would (InputError if it
    cannot be read)."""
    real, _ = split_dated(path)
    raw = read_table(real, HEADER_SPECS, allow_json=True)
    recognised = recognise(raw, real.name, ("actuals", "gmv", "roster"),
                           DEFAULT_GMV_FAMILY if campaign is None else campaign.gmv_family)
    if recognised.kind == "roster":
        # The columns it lacks are said with its bad cells, by read_videos below.
        mapped = map_file(real, ("roster",), campaign, raw=raw, keep_missing=True)
        videos, notes = read_videos(real, plan_date=plan_date)
        preview = pd.DataFrame([
            {"status": t("inspect.scheduled") if plan_date is not None
             and v.publish_date > plan_date else t("inspect.live"),
             **v.model_dump(exclude_defaults=True)}
            for v in videos[:rows]])
    else:
        source = read_actual_rows(path, campaign, videos)
        mapped = source.mapped
        notes = [*mapped.notes, *source.notes]
        preview = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")}
                                for r in source.rows[:rows]])
    # What the inspection says in its own lines is not repeated among the notes.
    said = {t("export.recognised", file=real.name, layout=recognised.label),
            unused_note(real.name, mapped.unused)}
    kept = tuple(n for n in notes if n not in said and not n.startswith(f"{real.name}: ignored "))
    return Inspection(real.name, recognised.layout_id, recognised.label, recognised.kind,
                      mapped.family, mapped.mapping, mapped.unused, kept, preview)


def column_label(column: str) -> str:
    """A planner column as the buyer reads it: its id and its name in the catalogue."""
    if column.startswith("group_header_"):
        return t("inspect.col.group")
    if column in ("tool_header", "link_header", "order_header"):
        return t(f"inspect.col.{column.removesuffix('_header')}")
    return f"{column} ({t(f'col.{column}')})" if has(f"col.{column}") else column


def inspection_lines(found: Inspection) -> list[str]:
    """``planner inspect`` as lines of text, in the current language."""
    lines = [t("inspect.recognised", file=found.file, layout=found.label,
               kind=t(f"inspect.kind.{found.kind}"))]
    if found.kind != "roster":
        lines.append(t("inspect.family", family=t(f"export.family.{found.family}")))
    lines.append(t("inspect.mapping"))
    width = max((len(header) for header, _ in found.mapping), default=0)
    lines += [f"  {header:<{width}}  →  {column_label(column)}"
              for header, column in found.mapping]
    if found.unused:
        lines.append(t("inspect.unused", headers=t("list.sep").join(found.unused)))
    if found.notes:
        lines.append(t("inspect.notes"))
        lines += [f"  - {note}" for note in found.notes]
    if found.preview.empty:
        lines.append(t("inspect.no_rows"))
    else:
        lines.append(t("inspect.preview", rows=len(found.preview)))
        lines += ["  " + line for line in found.preview.to_string(index=False).splitlines()]
    return lines
