"""Read the videos file (the roster): the planner's own, or a 星图 / 蝉妈妈 export.

A reader on top of the layers (``raw`` → ``headers`` → ``cells`` → ``layouts`` →
``recognise`` → ``roster``). Every problem is reported with the file, the row number
the buyer sees in a spreadsheet and the column header as written, all at once, so
one round of fixes is enough.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

from pydantic import ValidationError

from planner.errors import InputError, Problem, value_message
from planner.i18n import t
from planner.io.cells import parse_cells
from planner.io.headers import VIDEO_COLUMNS
from planner.io.recognise import map_file, video_id_from_link
from planner.models import Video
from planner.table import Table


def read_roster_table(path: Path) -> tuple[Table, list[str], list[Problem]]:
    """The videos file, or a 星图 / 蝉妈妈 export, as canonical roster columns (raw cells),
    its notes, and the required columns it lacks (the columns it has are read all the same).

    A live-only column (natural plays, GMV, likes, comments) the export lacks is added
    empty: scheduled posts need none, and a live post's row then says what is missing.
    """
    mapped = map_file(path, ("roster",), keep_missing=True)
    missing = list(mapped.missing)
    if mapped.recognised.layout is None:
        return mapped.table, list(mapped.notes), missing
    table = mapped.table
    links = [f.column for f in mapped.recognised.layout.fills if f.link]
    headers = dict(table.sources)
    for column in links:
        if column in table.columns:
            table = table.with_column(column, [
                (video_id_from_link(cell) or cell) if isinstance(cell, str) else cell
                for cell in table.column(column)
            ])
    for spec in VIDEO_COLUMNS:
        if spec.live_only and spec.name not in table.columns:
            table = table.with_column(spec.name, [None] * len(table))
            headers[spec.name] = spec.name
    table = table.replace(sources=headers)
    notes = [t("export.recognised", file=path.name, layout=mapped.recognised.label),
             *mapped.notes]
    return table, notes, missing


def _model_problems(
    exc: ValidationError, file: str, row: int, headers: Mapping[str, str]
) -> list[Problem]:
    problems = []
    for item in exc.errors():
        field = str(item["loc"][0]) if item["loc"] else ""
        value = item.get("input")
        if item["type"] in ("greater_than_equal", "greater_than"):
            message = t("error.negative", value=f"{value:g}") if isinstance(
                value, int | float
            ) else t("error.below_zero")
            fix = t("error.fix.positive")
        else:
            # A validator's own ValueError is already in the buyer's language;
            # pydantic's words for other failures are not, so they are named.
            cause = (item.get("ctx") or {}).get("error")
            detail = str(cause) if isinstance(cause, ValueError) else value_message(item)[0]
            message = t("error.sentence", text=detail)
            fix = t("error.fix.correct_cell")
            if field == "landing_url":
                fix = t("error.fix.landing_url")
        problems.append(
            Problem(message, file=file, row=row, column=headers.get(field, field or None), fix=fix)
        )
    return problems


def read_videos(path: Path, plan_date: date | None = None,
                last_day: date | None = None) -> tuple[list[Video], list[str]]:
    """Read the videos file into Video models plus warnings (e.g. ignored columns).

    Raises InputError listing every problem: missing required columns (first), with
    unreadable cells, empty required cells, negative values and a video_id given twice
    in the columns the file has. A video published after
    ``plan_date`` is a scheduled post: its natural plays, GMV, likes and comments
    may be empty. One published after ``last_day`` (the campaign's end) can carry
    nothing and is refused.
    """
    name = path.name
    # The planner's own videos file, or a 星图 / 蝉妈妈 export recognised by its headers.
    table, notes, missing = read_roster_table(path)
    headers = table.sources
    rows, problems = parse_cells(table, VIDEO_COLUMNS, name, scheduled_after=plan_date)
    if not rows and not missing:
        raise InputError(Problem(
            t("error.videos.none"), file=name, fix=t("error.videos.none_fix")
        ))
    id_column = headers.get("video_id", "video_id")
    first_row: dict[str, int] = {}
    videos: list[Video] = []
    failed = {p.row for p in problems}
    for number, values in rows:
        video_id = values.get("video_id")
        if isinstance(video_id, str):
            if video_id in first_row:
                problems.append(Problem(
                    t("error.videos.twice", video=video_id, first=first_row[video_id],
                      row=number),
                    file=name, row=number, column=id_column, fix=t("error.videos.twice_fix"),
                ))
            else:
                first_row[video_id] = number
        published = values.get("publish_date")
        if last_day is not None and isinstance(published, date) and published > last_day:
            problems.append(Problem(
                t("error.videos.after_end", published=published, last=last_day),
                file=name, row=number, column=headers.get("publish_date", "publish_date"),
                fix=t("error.videos.after_end_fix"),
            ))
        if number in failed or missing:  # a row without a required column is no video
            continue
        try:
            videos.append(Video.model_validate(values))
        except ValidationError as exc:
            problems.extend(_model_problems(exc, name, number, headers))
    if problems or missing:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError([*missing, *problems])
    return videos, notes
