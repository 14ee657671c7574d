"""Recognise a file by its headers as one of the exports buyers download, and read it
into planner columns.

The fifth layer of the readers (``... → cells`` → ``layouts`` → ``recognise`` →
``roster`` / ``actuals``). A file is read as:

- the planner's own actuals or videos file, when it has every required column
  (today's format, unchanged);
- else the export (``planner.io.layouts.LAYOUTS``) whose identifying headers are all
  present (the most specific one when several are);
- else it is refused, saying what each layout expected.

Headers the layout does not use are listed, never guessed at. Every cell then goes
through the one normaliser (``planner.io.cells.read_normalised``); the readers parse it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Final

from planner.config import DEFAULT_GMV_FAMILY, Campaign, GmvFamily
from planner.errors import InputError, Problem
from planner.i18n import has, t
from planner.io.cells import read_normalised
from planner.io.headers import (
    ACTUALS_COLUMNS,
    MAX_COUNT,
    VIDEO_COLUMNS,
    ColumnSpec,
    header_key,
    read_table,
)
from planner.io.layouts import (
    HEADER_SPECS,
    LAYOUTS,
    PLANNER_ACTUALS,
    PLANNER_KEYS,
    PLANNER_ROSTER,
    PLATFORM_KEYS,
    Family,
    Kind,
    Layout,
)
from planner.table import Table

_SPECS: Final[dict[str, ColumnSpec]] = {
    **{s.name: s for s in (*ACTUALS_COLUMNS, *VIDEO_COLUMNS)},
    # Read and shown (planner inspect), not stored: plays are what the planner learns from.
    "impressions": ColumnSpec("impressions", (), "int", False, MAX_COUNT),
}
_VIDEO_LINK_RE: Final = re.compile(r"/video/([0-9]{6,})|([0-9]{15,})")
_MONEY: Final = frozenset({"spend", "gmv"})
# "report.csv@2027-04-22": the date of a report that has no date column.
_DATED_RE: Final = re.compile(r"^(?P<file>.+)@(?P<day>[0-9]{4}-[0-9]{2}-[0-9]{2})$")


# ---------------------------------------------------------------- recognising


@dataclass(frozen=True)
class Recognised:
    """What a file is: its layout (None for the planner's own file), and its headers."""

    file: str
    kind: Kind
    layout: Layout | None
    headers: tuple[str, ...]  # as written in the file
    others: tuple[Layout, ...] = ()  # other layouts the headers fit (not chosen)

    @property
    def layout_id(self) -> str:
        if self.layout is not None:
            return self.layout.id
        return PLANNER_ACTUALS if self.kind == "actuals" else PLANNER_ROSTER

    @property
    def label(self) -> str:
        return t(f"export.layout.{self.layout_id}")

    def find(self, candidates: Sequence[str]) -> str | None:
        """The file's header for the first of ``candidates`` it has."""
        by_key = {header_key(h): h for h in reversed(self.headers)}
        for candidate in candidates:
            found = by_key.get(header_key(candidate))
            if found is not None:
                return found
        return None


def _planner_share(keys: set[str], specs: Sequence[ColumnSpec]) -> float:
    """Share of the planner format's required columns the file has."""
    required = [s for s in specs if s.required]
    return _planner_count(keys, specs) / len(required)


def _planner_count(keys: set[str], specs: Sequence[ColumnSpec]) -> int:
    return sum(any(header_key(h) in keys for h in s.headers) for s in specs if s.required)


def _layout_count(layout: Layout, keys: set[str]) -> int:
    return sum(any(header_key(h) in keys for h in group) for group in layout.signature)


def _layout_reads(layout: Layout, keys: set[str]) -> int:
    """How many of the file's headers the layout knows."""
    return len({header_key(h) for h in layout.headers} & keys)


def _has_required(layout: Layout, keys: set[str], family: GmvFamily) -> bool:
    """Every column the layout needs is there (the date may be given as FILE@date, the
    video by an ad group or a link), the GMV of the campaign's family too."""
    if layout.gmv_by_family and not any(
            header_key(h) in keys for h in layout.gmv_by_family.get(family, ())):
        return False
    for fill in layout.fills:
        if not fill.required or fill.column == "date":
            continue
        if any(header_key(h) in keys for h in (*fill.headers, *fill.fallback)):
            continue
        if fill.column == "video_id" and any(
                header_key(h) in keys for h in (*layout.group_headers, *layout.link_headers)):
            continue
        return False
    return True


def _matches(layout: Layout, keys: set[str]) -> bool:
    return (all(any(header_key(h) in keys for h in group) for group in layout.signature)
            and not any(header_key(h) in keys for h in layout.excludes))


def _own_specs(kind: Kind) -> Sequence[ColumnSpec]:
    return ACTUALS_COLUMNS if kind == "actuals" else VIDEO_COLUMNS


def _rank(layout: Layout, keys: set[str], family: GmvFamily) -> tuple[bool, int]:
    """The rule that chooses among layouts a file's headers fit: first one whose every
    needed column is there, then the one that knows more of the file's headers, then the
    first in the catalogue (LAYOUTS)."""
    return _has_required(layout, keys, family), _layout_reads(layout, keys)


def recognise(raw: Table, file: str, kinds: Sequence[Kind],
              gmv_family: GmvFamily = DEFAULT_GMV_FAMILY) -> Recognised:
    """The layout of a file whose cells ``raw`` holds (``read_table``), among ``kinds``.

    The planner's own format wins when the file has all its required columns; an
    export when all its identifying headers are there (when the headers fit several,
    ``_rank`` chooses and the note says which and why). A file that is neither but has
    more of the planner's required columns than of any export's identifying headers,
    and at most one header only the platforms write, is read as the planner's own (its
    reader names what is missing, as it always has). Otherwise raises InputError naming
    the closest layouts, the headers each lacks and the headers no layout knows.
    """
    headers = tuple(str(c) for c in raw.columns)
    keys = {header_key(h) for h in headers}
    own: list[Kind] = [k for k in ("actuals", "roster") if k in kinds]
    for kind in own:
        if _planner_share(keys, _own_specs(kind)) == 1:
            return Recognised(file, kind, None, headers)
    found = [layout for layout in LAYOUTS if layout.kind in kinds and _matches(layout, keys)]
    if found:
        best = found[0]
        for layout in found[1:]:
            if _rank(layout, keys, gmv_family) > _rank(best, keys, gmv_family):
                best = layout
        others = tuple(layout for layout in found if layout is not best)
        return Recognised(file, best.kind, best, headers, others)
    closest = max((_layout_count(layout, keys) for layout in LAYOUTS if layout.kind in kinds),
                  default=0)
    platform = len(keys & PLATFORM_KEYS)
    for kind in own:
        if _planner_count(keys, _own_specs(kind)) > closest and platform < 2:
            return Recognised(file, kind, None, headers)
    raise InputError(_unrecognised(headers, file, kinds, keys))


_CLOSEST: Final = 3  # layouts named for a file that fits none


def _unrecognised(headers: Sequence[str], file: str, kinds: Sequence[Kind],
                  keys: set[str]) -> list[Problem]:
    shown = t("list.sep").join(headers[:15]) + (" …" if len(headers) > 15 else "")
    problems = [Problem(t("export.unrecognised", headers=shown), file=file,
                        fix=t("export.unrecognised_fix"),
                        unquoted=t("export.unrecognised_unquoted", count=len(headers)))]
    known = PLANNER_KEYS | PLATFORM_KEYS
    unknown = [h for h in headers if header_key(h) not in known]
    if unknown:
        problems.append(Problem(
            t("export.headers_unknown", headers=t("list.sep").join(unknown[:15])
              + (" …" if len(unknown) > 15 else "")),
            file=file, fix=t("export.headers_unknown_fix"),
            unquoted=t("export.headers_unknown_unquoted", count=len(unknown))))
    own: list[tuple[str, Sequence[ColumnSpec]]] = []
    if "actuals" in kinds:
        own.append((PLANNER_ACTUALS, ACTUALS_COLUMNS))
    if "roster" in kinds:
        own.append((PLANNER_ROSTER, VIDEO_COLUMNS))
    if len(keys & PLATFORM_KEYS) < 2:
        for layout_id, specs in own:
            missing = [s.name for s in specs
                       if s.required and not any(header_key(h) in keys for h in s.headers)]
            problems.append(Problem(
                t("export.layout_expected", layout=t(f"export.layout.{layout_id}"),
                  expected=t("list.sep").join(s.name for s in specs if s.required),
                  missing=t("list.sep").join(missing)),
                file=file, column=missing[0] if missing else None,
                fix=t("export.layout_expected_fix")))
    candidates = [layout for layout in LAYOUTS if layout.kind in kinds]
    # The closest layouts: most identifying headers present, then most headers known.
    # A file that fits none at all is told every layout.
    candidates.sort(key=lambda layout: (-_layout_count(layout, keys),
                                        -_layout_reads(layout, keys)))
    if candidates and _layout_reads(candidates[0], keys) > 0:
        candidates = candidates[:_CLOSEST]
    for layout in candidates:
        groups = [" / ".join(group) for group in layout.signature]
        missing = [" / ".join(group) for group in layout.signature
                   if not any(header_key(h) in keys for h in group)]
        extra = [h for h in layout.excludes if header_key(h) in keys]
        excluded = t("export.layout_excluded", headers=t("list.sep").join(extra))
        problems.append(Problem(
            t("export.layout_expected", layout=layout.label, expected="; ".join(groups),
              missing="; ".join(missing) or excluded),
            file=file, column=missing[0] if missing else None,
            fix=t("export.layout_expected_fix")))
    return problems


def several_note(recognised: Recognised) -> str | None:
    """What the reader says when a file's headers fit several layouts: both, and the rule."""
    if not recognised.others or recognised.layout is None:
        return None
    return t("export.several_layouts", file=recognised.file, chosen=recognised.layout.label,
             others=t("list.sep").join(layout.label for layout in recognised.others))


# ---------------------------------------------------------------- mapping


@dataclass(frozen=True)
class Mapped:
    """A recognised file read into planner columns (raw cells, normalised)."""

    recognised: Recognised
    table: Table  # canonical columns, numbered as the buyer's rows
    mapping: tuple[tuple[str, str], ...]  # (header in the file, what the planner reads it as)
    unused: tuple[str, ...]  # headers the planner does not read
    notes: tuple[str, ...]
    specs: tuple[ColumnSpec, ...]
    family: Family
    tool_header: str | None = None
    group_headers: tuple[str, ...] = ()  # every ad-group id / name column the file has
    link_header: str | None = None
    order_header: str | None = None
    # The required columns the file lacks (``map_file(keep_missing=True)``): the reader
    # says them together with the problems of the cells the file has.
    missing: tuple[Problem, ...] = ()

    @property
    def group_header(self) -> str | None:
        return self.group_headers[0] if self.group_headers else None


def _spec(column: str, header: str, required: bool, scale: float | None = None) -> ColumnSpec:
    base = _SPECS[column]
    return ColumnSpec(column, (header,), base.kind, required, base.max_value, base.live_only,
                      scale)


def _extra_spec(name: str, header: str) -> ColumnSpec:
    return ColumnSpec(name, (header,), "str")


def split_dated(path: Path) -> tuple[Path, date | None]:
    """``report.csv@2027-04-22`` as (report.csv, its date); any other path as it is.

    A report downloaded without a date column (千川 标准推广, the range chosen on
    screen) is given its date this way; a file whose own name ends so is read as named.
    """
    match = _DATED_RE.match(str(path))
    if match is None or path.exists():
        return path, None
    try:
        return Path(match["file"]), date.fromisoformat(match["day"])
    except ValueError:
        raise InputError(Problem(
            t("export.dated_bad", day=match["day"]), file=Path(match["file"]).name,
            fix=t("export.dated_fix", file=Path(match["file"]).name))) from None


def _read_raw(path: Path, kinds: Sequence[Kind]) -> Table:
    # The planner's own file is read exactly as it always was (its header found by its
    # own columns); an export is read again with every header a layout knows.
    own: list[Kind] = [k for k in ("actuals", "roster") if k in kinds]
    api = "actuals" in kinds  # report APIs' saved JSON responses are actuals
    raw = read_table(path, _own_specs(own[0]) if len(own) == 1 else HEADER_SPECS,
                     allow_json=api)
    keys = {header_key(str(c)) for c in raw.columns}
    if not (len(own) == 1 and _planner_share(keys, _own_specs(own[0])) == 1):
        raw = read_table(path, HEADER_SPECS, allow_json=api)
    return raw


def map_file(path: Path, kinds: Sequence[Kind], campaign: Campaign | None = None,
             raw: Table | None = None, *, day: date | None = None,
             keep_missing: bool = False) -> Mapped:
    """Recognise ``path`` among ``kinds`` and read it into planner columns. ``day`` is the
    date given with the file (``FILE@YYYY-MM-DD``), for a report without a date column.

    A required column the file lacks raises InputError; with ``keep_missing`` it is kept
    in ``Mapped.missing`` instead and the columns the file has are read, so the reader can
    list every problem of the file at once.
    """
    name = path.name
    if raw is None:
        raw = _read_raw(path, kinds)
    recognised = recognise(raw, name, kinds,
                           DEFAULT_GMV_FAMILY if campaign is None else campaign.gmv_family)
    layout = recognised.layout
    if layout is None:
        own_specs = _own_specs(recognised.kind)
        table, notes = read_normalised(path, own_specs, raw=raw, keep_missing=keep_missing)
        headers = table.sources
        mapping = tuple((headers[c], c) for c in table.columns)
        used = {h for h, _ in mapping}
        unused = tuple(h for h in recognised.headers if h not in used)
        family: Family = "given" if recognised.kind == "actuals" else "none"
        return Mapped(recognised, table, mapping, unused, tuple(notes), tuple(own_specs),
                      family, missing=table.missing)
    specs: list[ColumnSpec] = []
    problems: list[Problem] = []
    early_notes: list[str] = []
    several = several_note(recognised)
    if several is not None:
        early_notes.append(several)
    taken: set[str] = set()
    family = "none"
    for fill in layout.fills:
        header = recognised.find(fill.headers)
        if header is None and fill.fallback:
            header = recognised.find(fill.fallback)
            if header is not None:
                early_notes.append(t("export.plays_from_impressions", file=name, header=header))
        if header is not None and header in taken:
            continue  # impressions already read as plays
        scale = layout.money_scale if fill.column in _MONEY else None
        if header is not None:
            specs.append(_spec(fill.column, header, fill.required, scale))
            taken.add(header)
            if fill.column == "gmv" and layout.family is not None:
                family = layout.family
        elif fill.column == "date" and fill.required:
            if day is None:
                problems.append(Problem(
                    t("export.date_missing", layout=layout.label,
                      headers=" / ".join(fill.headers)),
                    file=name, column=fill.headers[0],
                    fix=t("export.dated_fix", file=name)))
        elif fill.required and not (fill.column == "video_id" and (
                recognised.find(layout.group_headers) or recognised.find(layout.link_headers))):
            problems.append(Problem(
                t("export.column_missing", layout=layout.label,
                  column=t(f"col.{fill.column}") if has(f"col.{fill.column}") else fill.headers[0],
                  headers=" / ".join(fill.headers)),
                file=name, column=fill.headers[0],
                fix=t("export.column_missing_fix", headers=" / ".join(fill.headers))))
    if layout.gmv_by_family:
        chosen: GmvFamily = campaign.gmv_family if campaign is not None else "overall"
        header = recognised.find(layout.gmv_by_family.get(chosen, ()))
        if header is None:
            present = [f for f, hs in layout.gmv_by_family.items() if recognised.find(hs)]
            wanted = layout.gmv_by_family.get(chosen, ()) or tuple(
                h for hs in layout.gmv_by_family.values() for h in hs)
            problems.append(Problem(
                t("export.family_missing", family=t(f"export.family.{chosen}"),
                  headers=" / ".join(wanted)),
                file=name, column=wanted[0],
                fix=t("export.family_missing_fix",
                      families=", ".join(f'gmv_family = "{f}"' for f in present) or "-")))
        else:
            specs.append(_spec("gmv", header, False, layout.money_scale))
            family = chosen
        orders = recognised.find(layout.orders_by_family.get(chosen, ()))
        if orders is not None:
            specs.append(_spec("orders", orders, False))
    elif layout.kind == "gmv":
        family = "shop"
    if problems and not keep_missing:
        raise InputError(problems)
    groups = tuple(h for h in (recognised.find((g,)) for g in layout.group_headers) if h)
    extras: dict[str, str | None] = {
        "tool_header": recognised.find(layout.tool_headers),
        "link_header": recognised.find(layout.link_headers),
        "order_header": recognised.find(layout.order_headers),
        **{f"group_header_{i}": header for i, header in enumerate(groups)},
    }
    for key, header in extras.items():
        if header is not None:
            specs.append(_extra_spec(key, header))
    table, notes = read_normalised(path, specs, raw=raw)
    headers = table.sources
    mapping = tuple((headers[s.name], s.name) for s in specs if s.name in headers)
    used = {h for h, _ in mapping}
    unused = tuple(h for h in recognised.headers if h not in used)
    # normalise_columns says "ignored N columns" in English; the mapping says it better.
    notes = early_notes + [n for n in notes if not n.startswith(f"{name}: ignored ")]
    if unused:
        notes.append(unused_note(name, unused))
    return Mapped(recognised, table, mapping, unused, tuple(notes), tuple(specs), family,
                  tool_header=extras["tool_header"], group_headers=groups,
                  link_header=extras["link_header"], order_header=extras["order_header"],
                  missing=tuple(problems))


def unused_note(file: str, unused: Sequence[str]) -> str:
    """The warning that lists the columns the planner does not read."""
    return t("export.unused_columns", file=file, count=len(unused),
             headers=t("list.sep").join(unused[:10]) + (" …" if len(unused) > 10 else ""))


def video_id_from_link(text: str) -> str | None:
    """The video id in a Douyin video link (https://www.douyin.com/video/7234...)."""
    match = _VIDEO_LINK_RE.search(text)
    if match is None:
        return None
    return match.group(1) or match.group(2)
