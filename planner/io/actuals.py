"""Read the daily actuals: the planner's own file, the platforms' exports, and every
file of a day merged.

A reader on top of the layers (``raw`` → ``headers`` → ``cells`` → ``layouts`` →
``recognise`` → ``actuals``). Actuals from several files merge by date, video and tool
(``read_actual_sources``): a DOU+ or AD report's spend has no GMV; a shop's GMV file
keyed by video or tracking link fills it (``join_gmv``). Spend still without GMV is
kept with its GMV unknown (never 0, never guessed) and reported; a GMV file of a later
morning joins it in the store. Every problem names the file, row and column.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from planner.config import Campaign
from planner.errors import InputError, Problem
from planner.i18n import t, tool_name
from planner.io.cells import parse_cells, read_normalised
from planner.io.headers import ACTUALS_COLUMNS
from planner.io.layouts import Family
from planner.io.recognise import Mapped, map_file, split_dated, video_id_from_link
from planner.links import content_tags
from planner.models import Video
from planner.table import Table
from planner.tools import TOOL_ALIASES, Tool, parse_tool

# Columns a report adds up when it holds several rows for one date, video and tool
# (a DOU+ export has one row per order).
_SUMMED: Final = ("spend", "gmv", "plays", "orders", "clicks", "likes", "comments",
                  "impressions")
# A date cell that stands for the whole period: the row is a per-material total.
_PERIOD_WORDS: Final = frozenset({"全部", "全部日期", "汇总", "合计", "总计", "小计"})


# ---------------------------------------------------------------- the planner's own file

ACCEPTED_TOOL_NAMES: Final = tuple(sorted(set(TOOL_ALIASES) | {tool.value for tool in Tool}))


def read_actuals(
    path: Path, normalised: tuple[Table, list[str]] | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Read the daily actuals file: one row per date, video and tool.

    Returns a frame with every ACTUALS_COLUMNS column (date objects, str ids,
    tool ids as plain str, floats with NaN for empty optional counts) and
    warnings. Raises InputError listing every problem, including unknown tools,
    negative values and a (date, video_id, tool) given twice. ``normalised`` is the
    file already read by ``read_normalised`` (the export recogniser reads it once).
    """
    name = path.name
    table, notes = normalised or read_normalised(path, ACTUALS_COLUMNS, keep_missing=True)
    headers = table.sources
    missing = list(table.missing)
    rows, problems = parse_cells(table, ACTUALS_COLUMNS, name)
    tool_column = headers.get("tool", "tool")
    seen: dict[tuple[object, object, object], int] = {}
    for number, values in rows:
        raw_tool = values.get("tool")
        if raw_tool is not None:
            tool = parse_tool(str(raw_tool))
            if tool is None:
                problems.append(Problem(
                    t("error.actuals.unknown_tool", tool=raw_tool),
                    file=name, row=number, column=tool_column,
                    fix=t("error.fix.use_one_of", accepted=t("list.sep").join(ACCEPTED_TOOL_NAMES)),
                ))
                del values["tool"]
            else:
                values["tool"] = tool.value
        for spec in ACTUALS_COLUMNS:
            amount = values.get(spec.name)
            if spec.kind in ("int", "float") and isinstance(amount, int | float) and amount < 0:
                problems.append(Problem(
                    t("error.negative", value=f"{amount:g}"),
                    file=name, row=number, column=headers.get(spec.name, spec.name),
                    fix=t("error.fix.positive"),
                ))
        key = (values.get("date"), values.get("video_id"), values.get("tool"))
        if None not in key:
            if key in seen:
                problems.append(Problem(
                    t("error.actuals.twice", key=f"{key[0]} / {key[1]} / {key[2]}",
                      first=seen[key], row=number),
                    file=name, row=number, fix=t("error.actuals.twice_fix"),
                ))
            else:
                seen[key] = number
    if problems or missing:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError([*missing, *problems])
    return _actuals_frame([values for _, values in rows]), notes


def _actuals_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    columns: dict[str, pd.Series[Any]] = {}
    for spec in ACTUALS_COLUMNS:
        values = [r.get(spec.name) for r in rows]
        if spec.kind == "date":
            columns[spec.name] = pd.Series(values, dtype=object)
        elif spec.kind == "str":
            columns[spec.name] = pd.Series(values, dtype="str")
        else:
            columns[spec.name] = pd.Series(
                [float("nan") if v is None else float(v) for v in values], dtype="float64"
            )
    return pd.DataFrame(columns)


# ---------------------------------------------------------------- exports and merging


@dataclass(frozen=True)
class ActualRows:
    """One file's actuals: rows keyed by date, video and tool, with their source."""

    mapped: Mapped
    rows: list[dict[str, Any]]  # date, video_id, tool (None: any), spend, gmv, plays, ...
    notes: list[str] = field(default_factory=list)  # what reading the rows said
    unattributed: dict[date, float] = field(default_factory=dict)  # shop GMV of no video


def _ad_group(campaign: Campaign | None, *cells: object) -> tuple[str, Tool] | None:
    if campaign is None:
        return None
    for cell in cells:
        if cell is None:
            continue
        group = campaign.ad_groups.get(str(cell).strip())
        if group is not None:
            return group.video_id, group.tool
    return None


def _link_video(text: str, by_tag: Mapping[str, str]) -> tuple[str | None, Tool | None]:
    """(video, tool) a tracking link (or its utm_content alone) stands for.

    Without a roster to match against (``planner inspect``), the utm_content is shown
    as it is; the re-plan, which has the roster, matches it.
    """
    parts = urlsplit(text.strip())
    query = parse_qs(parts.query)
    content = query.get("utm_content", [text.strip()])[0]
    medium = query.get("utm_medium", [""])[0]
    video = by_tag.get(content) if by_tag else content
    return video, parse_tool(medium) if medium else None


def _link_tags(videos: Sequence[Video]) -> dict[str, str]:
    """utm_content -> video id, as ``planner plan`` writes the links (without --slugs),
    and each video id itself."""
    ids = [v.video_id for v in videos]
    tags, _ = content_tags(ids, {v.video_id: v for v in videos}, {})
    return {**{vid: vid for vid in ids}, **{tag: vid for vid, tag in tags.items()}}


def _period_rows(mapped: Mapped) -> tuple[Table, list[str]]:
    """The table without rows whose date says 全部 (a material's total for the period, as
    the 千川 全域推广 素材 report writes between its daily rows), and the note."""
    table = mapped.table
    if "date" not in table.columns:
        return table, []
    skipped = [number for number, cell in zip(table.numbers, table.column("date"), strict=True)
               if isinstance(cell, str) and cell.strip() in _PERIOD_WORDS]
    if not skipped:
        return table, []
    kept = table.without_rows(skipped)
    return kept, [t("export.period_rows_skipped", file=mapped.recognised.file,
                    rows=t("list.sep").join(str(n) for n in skipped[:20])
                    + (" …" if len(skipped) > 20 else ""))]


def _with_links_read(mapped: Mapped, table: Table) -> Table:
    """Video ids read out of the Douyin links in a link column (视频链接)."""
    layout = mapped.recognised.layout
    if layout is None:
        return table
    links = [f.column for f in layout.fills if f.link and f.column in table.columns]
    if not links:
        return table
    for column in links:
        table = table.with_column(column, [
            (video_id_from_link(cell) or cell) if isinstance(cell, str) else cell
            for cell in table.column(column)])
    return table


def _figures(values: Mapping[str, Any]) -> tuple[object, ...]:
    return tuple(values.get(column) for column in _SUMMED)


def read_actual_rows(path: Path, campaign: Campaign | None = None,
                     videos: Sequence[Video] = ()) -> ActualRows:
    """One actuals file (the planner's own, or an export) as rows; InputError lists
    every problem, with the file, row and column.

    ``path`` may end in ``@YYYY-MM-DD``: the date of a report without a date column.
    In an export, rows dated 全部 (period totals) and totals rows are skipped, a row
    repeated exactly under one order id and date counts once, and different figures
    under one order id and date are refused; each says so.
    """
    path, day = split_dated(path)
    name = path.name
    mapped = map_file(path, ("actuals", "gmv"), campaign, day=day, keep_missing=True)
    if mapped.missing and mapped.recognised.layout is not None:
        # Every problem at once: the columns it lacks, then the bad cells of the others.
        _, bad_cells = parse_cells(mapped.table, mapped.specs, name)
        raise InputError([*mapped.missing, *bad_cells])
    if mapped.recognised.layout is None:
        frame, _ = read_actuals(path, (mapped.table, list(mapped.notes)))
        rows = [{**{str(k): (None if isinstance(v, float) and math.isnan(v) else v)
                    for k, v in row.items()}, "_rows": [number]}
                for number, row in enumerate(frame.to_dict("records"), start=2)]
        return ActualRows(mapped, rows)
    layout = mapped.recognised.layout
    table, notes = _period_rows(mapped)
    table = _with_links_read(mapped, table)
    parsed, problems = parse_cells(table, mapped.specs, name)
    headers = mapped.table.sources
    by_tag = _link_tags(videos) if mapped.link_header else {}
    out: dict[tuple[object, object, object], dict[str, Any]] = {}
    failed = {p.row for p in problems}
    orders_seen: dict[tuple[object, object], tuple[int, tuple[object, ...]]] = {}
    repeated: list[str] = []
    unattributed: dict[date, float] = {}
    closed_loop_gmv = mapped.family in ("direct", "overall", "net")
    for number, values in parsed:
        if number in failed:
            continue
        if day is not None:
            own_day = values.get("date")
            if own_day is not None and own_day != day:
                problems.append(Problem(
                    t("export.dated_conflict", day=day, found=own_day), file=name, row=number,
                    column=headers.get("date"), fix=t("export.dated_conflict_fix", file=name)))
                continue
            values["date"] = day
        order = values.get("order_header")
        if order is not None:
            key_order = (str(order).strip(), values.get("date"))
            figures = _figures(values)
            first = orders_seen.get(key_order)
            if first is not None:
                if first[1] == figures:
                    repeated.append(f"{number} (= {first[0]})")
                    continue
                problems.append(Problem(
                    t("export.order_twice", order=key_order[0], day=key_order[1],
                      first=first[0]),
                    file=name, row=number, column=mapped.order_header,
                    fix=t("export.order_twice_fix")))
                continue
            orders_seen[key_order] = (number, figures)
        if closed_loop_gmv and values.get("gmv") is None and values.get("spend") == 0:
            values["gmv"] = 0.0  # 千川 writes "-" for no sales on a row that spent nothing
        tool: Tool | None = layout.tool
        if mapped.tool_header is not None and values.get("tool_header"):
            named = parse_tool(str(values["tool_header"]))
            tool = named or tool
        video = values.get("video_id")
        if layout.unattributed_rows and video is None:
            when = values.get("date")
            if isinstance(when, date):
                unattributed[when] = unattributed.get(when, 0.0) + float(values.get("gmv") or 0)
            continue
        if mapped.group_header is not None and (video is None or layout.tool is None):
            cells = [values.get(f"group_header_{i}") for i in range(len(mapped.group_headers))]
            found = _ad_group(campaign, *cells)
            if found is None:
                shown = next((c for c in cells if c is not None), "")
                problems.append(Problem(
                    t("export.group_unknown", group=shown),
                    file=name, row=number, column=mapped.group_header,
                    fix=t("export.group_unknown_fix", group=shown)))
                continue
            video, tool = video or found[0], found[1]
        if mapped.link_header is not None and video is None and values.get("link_header"):
            linked, linked_tool = _link_video(str(values["link_header"]), by_tag)
            if linked is None:
                problems.append(Problem(
                    t("export.link_unknown", link=values["link_header"]),
                    file=name, row=number, column=mapped.link_header,
                    fix=t("export.link_unknown_fix")))
                continue
            video, tool = linked, tool or linked_tool
        if video is None:
            problems.append(Problem(
                t("export.no_video"), file=name, row=number,
                column=headers.get("video_id") or mapped.group_header,
                fix=t("export.no_video_fix")))
            continue
        for column in _SUMMED:
            amount = values.get(column)
            if isinstance(amount, int | float) and amount < 0:
                problems.append(Problem(
                    t("export.negative", value=f"{amount:g}"), file=name, row=number,
                    column=headers.get(column, column), fix=t("export.negative_fix")))
        row = {"date": values.get("date"), "video_id": str(video),
               "tool": None if tool is None else tool.value}
        key = (row["date"], row["video_id"], row["tool"])
        merged = out.setdefault(key, {**row, "_rows": []})
        merged["_rows"].append(number)
        for column in _SUMMED:
            amount = values.get(column)
            if amount is not None:
                merged[column] = (merged.get(column) or 0) + amount
    if problems:
        problems.sort(key=lambda p: p.row or 0)
        raise InputError(problems)
    if repeated:
        notes.append(t("export.rows_repeated", file=name, column=mapped.order_header or "",
                       rows=t("list.sep").join(repeated[:20])
                       + (" …" if len(repeated) > 20 else "")))
    for when, amount in sorted(unattributed.items()):
        notes.append(t("export.gmv_unattributed", file=name, day=when, gmv=f"{amount:,.2f}"))
    rows = list(out.values())
    return ActualRows(mapped, rows, notes, unattributed)


@dataclass(frozen=True)
class MergedActuals:
    """The actuals of every file given for a day, merged, with what the planner says."""

    frame: pd.DataFrame  # ACTUALS_COLUMNS, ready to ingest (GMV NaN: unknown)
    notes: list[str]
    families: dict[str, Family]  # file -> where its GMV comes from
    unmatched_spend: list[dict[str, Any]]  # spend rows without GMV (ingested, GMV unknown)
    join_notes: list[str] = field(default_factory=list)  # what merging the files said
    origins: list[tuple[str, int | None]] = field(default_factory=list)  # file, row per row
    # GMV rows no spend row of these files takes: the re-plan joins them to the stored
    # spend of their day that has no GMV yet (a spend-only file of an earlier morning).
    pending_gmv: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def source(self) -> str:
        """The store's ``source`` of these rows: each file and the GMV it counts."""
        return "; ".join(f"{file} (gmv={family})" for file, family in self.families.items())


ActualKey = tuple[object, object, object]  # date, video id, tool id


@dataclass(frozen=True)
class GmvJoin:
    """What joining GMV rows to spend rows did: the keys filled, what it said, the rest."""

    filled: dict[ActualKey, str]  # spend key -> the GMV file that filled it
    notes: list[str]
    left: list[tuple[str, dict[str, Any]]]  # GMV rows no open spend row takes


def join_gmv(spend: Mapping[ActualKey, dict[str, Any]],
             gmv_rows: Sequence[tuple[str, dict[str, Any]]]) -> GmvJoin:
    """Fill the unknown GMV of spend rows from GMV rows (file, row), by date and video,
    and tool when the GMV row names one; one spend row open for it or none is taken.

    The spend rows are changed in place. Serves both the files of one morning and a GMV
    file that comes a morning after its spend (joined to the stored rows).
    """
    filled: dict[ActualKey, str] = {}
    notes: list[str] = []
    left: list[tuple[str, dict[str, Any]]] = []
    for name, row in gmv_rows:
        open_targets = [key for key, target in spend.items()
                        if key[0] == row["date"] and key[1] == row["video_id"]
                        and (row["tool"] is None or key[2] == row["tool"])
                        and target.get("gmv") is None]
        if len(open_targets) == 1:
            target = spend[open_targets[0]]
            target["gmv"] = row.get("gmv")
            if row.get("orders") is not None and target.get("orders") is None:
                target["orders"] = row["orders"]
            filled[open_targets[0]] = name
        elif not open_targets:
            left.append((name, row))
        else:
            notes.append(t("export.gmv_ambiguous", file=name, day=row["date"],
                           video=row["video_id"],
                           tools=t("list.sep").join(tool_name(str(k[2])) for k in open_targets)))
    return GmvJoin(filled, notes, left)


def read_actual_sources(paths: Sequence[Path], campaign: Campaign | None = None,
                        videos: Sequence[Video] = ()) -> MergedActuals:
    """Every actuals file of a day, merged by date, video and tool.

    Spend rows from different files for the same key are refused (the same money
    twice); a GMV file's rows fill the GMV of the spend rows of their date and video
    (and tool, when it names one). Spend left without GMV is kept with its GMV
    unknown (NaN, never 0, never guessed): it counts against the budget, and its GMV
    joins it when the shop's file comes (``pending_gmv``).
    """
    read: list[ActualRows] = []
    problems: list[Problem] = []
    for path in paths:
        try:
            read.append(read_actual_rows(path, campaign, videos))
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise InputError(problems)
    notes: list[str] = []
    families: dict[str, Family] = {}
    spend: dict[ActualKey, dict[str, Any]] = {}
    owner: dict[ActualKey, str] = {}
    gmv_rows: list[tuple[str, dict[str, Any]]] = []
    for source in read:
        name = source.mapped.recognised.file
        families[name] = source.mapped.family
        if source.mapped.recognised.layout is not None:
            notes.append(t("export.recognised", file=name, layout=source.mapped.recognised.label))
            if source.mapped.family in ("direct", "overall", "net", "shop"):
                notes.append(t("export.family_used", file=name,
                               family=t(f"export.family.{source.mapped.family}")))
        notes.extend(source.mapped.notes)
        notes.extend(source.notes)
        for row in source.rows:
            if row.get("spend") is None:
                gmv_rows.append((name, row))
                continue
            key = (row["date"], row["video_id"], row["tool"])
            if key in spend:
                problems.append(Problem(
                    t("export.spend_twice", day=row["date"], video=row["video_id"],
                      tool=tool_name(str(row["tool"])), first=owner[key]),
                    file=name, row=row["_rows"][0], fix=t("export.spend_twice_fix")))
                continue
            spend[key] = dict(row)
            owner[key] = name
    if problems:
        raise InputError(problems)
    file_notes = len(notes)
    joined = join_gmv(spend, gmv_rows)
    for key in joined.filled:
        families[owner[key]] = "shop"
    notes.extend(joined.notes)
    for name, row in joined.left:
        notes.append(t("export.gmv_pending", file=name, day=row["date"],
                       video=row["video_id"], gmv=f"{row.get('gmv') or 0:,.2f}"))
    unmatched = [r for r in spend.values() if r.get("gmv") is None]
    for row in unmatched:
        notes.append(t("export.spend_without_gmv", file=owner[(row["date"], row["video_id"],
                                                              row["tool"])],
                       day=row["date"], video=row["video_id"], tool=tool_name(str(row["tool"])),
                       spend=f"{row['spend']:,.2f}"))
    complete = list(spend.values())  # GMV unknown included: every yuan shown is spent
    # The planner's own single file keeps its order (row numbers are its rows).
    if len(read) > 1 or read[0].mapped.recognised.layout is not None:
        complete.sort(key=lambda r: (str(r["date"]), str(r["video_id"]), str(r["tool"])))
    origins = [(owner[(r["date"], r["video_id"], r["tool"])], (r.get("_rows") or [None])[0])
               for r in complete]
    clean = [{k: v for k, v in r.items() if not k.startswith("_")} for r in complete]
    return MergedActuals(_actuals_frame(clean), notes, families, unmatched,
                         join_notes=notes[file_notes:], origins=origins,
                         pending_gmv=joined.left)
