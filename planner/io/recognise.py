"""Recognise a file by its headers as one of the exports buyers download, and read it.

The layouts are data (``LAYOUTS``): the headers that identify each export, and for
every planner column the export's headers that fill it, in order of preference
(DOMAIN.md, "Platform exports buyers download"). A file is read as:

- the planner's own actuals or videos file, when it has every required column
  (today's format, unchanged);
- else the export whose identifying headers are all present (the most specific
  one when several are);
- else it is refused, saying what each layout expected.

Headers the layout does not use are listed, never guessed at. Every cell then goes
through the one normaliser (``planner.io.exports.read_normalised``) and the
column parsers of ``planner.io.tables``.

Actuals from several files merge by date, video and tool (``read_actual_sources``):
a DOU+ or AD report's spend has no GMV; a shop's GMV file keyed by video or
tracking link fills it (``join_gmv``). Spend still without GMV is kept with its GMV
unknown (never 0, never guessed) and reported; a GMV file of a later morning joins it
in the store.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, Final, Literal
from urllib.parse import parse_qs, urlsplit

import pandas as pd

from planner.config import Campaign, GmvFamily
from planner.errors import InputError, Problem
from planner.i18n import has, t, tool_name
from planner.io.exports import header_key, read_normalised
from planner.io.tables import (
    ACTUALS_COLUMNS,
    VIDEO_COLUMNS,
    ColumnSpec,
    _actuals_frame,
    _parse_cells,
    read_actuals,
    read_table,
    source_columns,
)
from planner.models import Video
from planner.tools import Tool, parse_tool

Kind = Literal["actuals", "gmv", "roster"]
# Where a file's GMV comes from: a 千川 family, the shop's own figures, the planner's
# file as the buyer filled it, or none at all (DOU+ and AD reports).
Family = Literal["direct", "overall", "net", "shop", "given", "none"]

PLANNER_ACTUALS: Final = "planner_actuals"
PLANNER_ROSTER: Final = "planner_roster"


@dataclass(frozen=True)
class Fill:
    """A planner column and the export's headers that fill it, in order of preference."""

    column: str
    headers: tuple[str, ...]
    required: bool = False
    link: bool = False  # the cell is a Douyin video link: its video id is read out of it


@dataclass(frozen=True)
class Layout:
    """One export: how to know it (every ``signature`` group present, no ``excludes``
    header) and how its columns become the planner's."""

    id: str
    kind: Kind
    signature: tuple[tuple[str, ...], ...]
    fills: tuple[Fill, ...]
    tool: Tool | None = None  # the tool every row is, unless ``tool_headers`` say otherwise
    tool_headers: tuple[str, ...] = ()  # a column whose cell names the tool (随心推)
    group_headers: tuple[str, ...] = ()  # ad group id / name, looked up in [ad_groups]
    link_headers: tuple[str, ...] = ()  # a tracking link, matched to a roster video
    gmv_by_family: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    orders_by_family: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    excludes: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return t(f"export.layout.{self.id}")


_SPEND_HEADERS: Final = ("消耗", "整体消耗", "实际消耗", "总花费", "花费", "spend", "stat_cost")

LAYOUTS: Final[tuple[Layout, ...]] = (
    Layout(
        "qianchuan_report", "actuals",
        signature=(("展示次数",), ("整体消耗", "消耗"),
                   ("直接成交金额", "整体成交金额", "净成交金额", "直接支付ROI", "整体支付ROI",
                    "净成交ROI")),
        fills=(
            Fill("date", ("日期", "时间"), required=True),
            Fill("video_id", ("素材ID", "视频ID")),
            Fill("spend", ("整体消耗", "消耗"), required=True),
            Fill("plays", ("播放数", "展示次数"), required=True),
            Fill("clicks", ("点击次数",)),
        ),
        tool=Tool.QIANCHUAN, tool_headers=("推广方式", "投放工具", "营销场景", "工具"),
        group_headers=("计划ID", "计划名称"),
        gmv_by_family={"direct": ("直接成交金额",), "overall": ("整体成交金额",),
                       "net": ("净成交金额",)},
        orders_by_family={"direct": ("直接成交订单数",), "overall": ("整体成交订单数",),
                          "net": ("净成交订单数",)},
    ),
    Layout(
        "dou_plus_orders", "actuals",
        signature=(("订单ID",), ("视频ID",), ("实际消耗",)),
        fills=(
            Fill("date", ("下单时间", "日期"), required=True),
            Fill("video_id", ("视频ID",), required=True),
            Fill("spend", ("实际消耗",), required=True),
            Fill("plays", ("播放量",), required=True),
            Fill("likes", ("点赞数",)),
            Fill("comments", ("评论数",)),
        ),
        tool=Tool.DOU_PLUS,
    ),
    Layout(
        "ad_daily", "actuals",
        signature=(("广告组id", "广告组"), ("展示数",), ("总花费", "消耗")),
        fills=(
            Fill("date", ("时间", "日期"), required=True),
            Fill("video_id", ("视频ID", "素材ID")),
            Fill("spend", ("总花费", "消耗"), required=True),
            Fill("plays", ("展示数",), required=True),
            Fill("clicks", ("点击数",)),
        ),
        group_headers=("广告组id", "广告组"),
    ),
    Layout(
        "shop_gmv", "gmv",
        signature=(("成交金额", "成交额", "支付金额", "GMV", "支付GMV"),
                   ("视频ID", "video_id", "utm_content", "追踪链接", "推广链接", "链接")),
        fills=(
            Fill("date", ("日期", "支付日期", "date"), required=True),
            Fill("video_id", ("视频ID", "video_id")),
            Fill("gmv", ("成交金额", "成交额", "支付金额", "GMV", "支付GMV"), required=True),
            Fill("orders", ("订单数", "成交订单数", "支付订单数")),
        ),
        tool_headers=("工具", "投放工具", "utm_medium"),
        link_headers=("utm_content", "追踪链接", "推广链接", "链接"),
        excludes=_SPEND_HEADERS,
    ),
    Layout(
        "xingtu_creators", "roster",
        signature=(("星图ID",), ("达人昵称",), ("1-20s报价", "21-60s报价")),
        fills=(
            Fill("video_id", ("视频ID", "星图ID"), required=True),
            Fill("kol_name", ("达人昵称",), required=True),
            Fill("followers", ("粉丝", "粉丝数"), required=True),
            Fill("median_plays", ("播放中位数",), required=True),
            Fill("publish_date", ("发布时间",), required=True),
            Fill("kol_fee", ("21-60s报价", "1-20s报价")),
        ),
    ),
    Layout(
        "xingtu_task", "roster",
        signature=(("达人名称",), ("执行金额",), ("总互动量", "组件点击量")),
        fills=(
            Fill("video_id", ("视频ID", "任务ID", "视频链接"), required=True, link=True),
            Fill("kol_name", ("达人名称",), required=True),
            Fill("followers", ("粉丝数", "粉丝"), required=True),
            Fill("median_plays", ("播放中位数",), required=True),
            Fill("publish_date", ("发布时间",), required=True),
            Fill("natural_plays", ("播放量",)),
            Fill("natural_gmv", ("成交金额", "自然成交额", "GMV")),
            Fill("likes", ("点赞量",)),
            Fill("comments", ("评论量",)),
            Fill("shares", ("分享量",)),
            Fill("kol_fee", ("执行金额",)),
        ),
    ),
    Layout(
        "chanmama_videos", "roster",
        signature=(("视频标题",), ("达人", "达人名称", "达人昵称"), ("预估销售额", "销售额")),
        fills=(
            Fill("video_id", ("视频ID", "视频链接"), required=True, link=True),
            Fill("kol_name", ("达人昵称", "达人名称", "达人"), required=True),
            Fill("followers", ("粉丝数", "粉丝"), required=True),
            Fill("median_plays", ("播放中位数",), required=True),
            Fill("publish_date", ("发布时间",), required=True),
            Fill("natural_plays", ("预估播放量", "播放量")),
            Fill("natural_gmv", ("预估销售额", "销售额")),
            Fill("likes", ("点赞数",)),
            Fill("comments", ("评论数",)),
            Fill("shares", ("分享数", "转发数")),
            Fill("product", ("商品", "商品名称")),
        ),
    ),
)

_SPECS: Final[dict[str, ColumnSpec]] = {s.name: s for s in (*ACTUALS_COLUMNS, *VIDEO_COLUMNS)}
_VIDEO_SPECS: Final[dict[str, ColumnSpec]] = {s.name: s for s in VIDEO_COLUMNS}
_VIDEO_LINK_RE: Final = re.compile(r"/video/([0-9]{6,})|([0-9]{15,})")
# Columns a report adds up when it holds several rows for one date, video and tool
# (a DOU+ export has one row per order).
_SUMMED: Final = ("spend", "gmv", "plays", "orders", "clicks", "likes", "comments")


def _header_specs() -> tuple[ColumnSpec, ...]:
    """One spec per header any layout or planner file knows: finds the header row."""
    keys: dict[str, str] = {}
    for spec in (*ACTUALS_COLUMNS, *VIDEO_COLUMNS):
        for header in spec.headers:
            keys.setdefault(header_key(header), header)
    for layout in LAYOUTS:
        headers = [h for group in layout.signature for h in group]
        headers += [h for f in layout.fills for h in f.headers]
        headers += [*layout.tool_headers, *layout.group_headers, *layout.link_headers]
        headers += [h for hs in layout.gmv_by_family.values() for h in hs]
        for header in headers:
            keys.setdefault(header_key(header), header)
    return tuple(ColumnSpec(f"header:{key}", (header,)) for key, header in keys.items())


HEADER_SPECS: Final = _header_specs()


# ---------------------------------------------------------------- recognising


@dataclass(frozen=True)
class Recognised:
    """What a file is: its layout (None for the planner's own file), and its headers."""

    file: str
    kind: Kind
    layout: Layout | None
    headers: tuple[str, ...]  # as written in the file

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


def _matches(layout: Layout, keys: set[str]) -> bool:
    return (all(any(header_key(h) in keys for h in group) for group in layout.signature)
            and not any(header_key(h) in keys for h in layout.excludes))


def _own_specs(kind: Kind) -> Sequence[ColumnSpec]:
    return ACTUALS_COLUMNS if kind == "actuals" else VIDEO_COLUMNS


def recognise(raw: pd.DataFrame, file: str, kinds: Sequence[Kind]) -> Recognised:
    """The layout of a file whose cells ``raw`` holds (``read_table``), among ``kinds``.

    The planner's own format wins when the file has all its required columns; an
    export when all its identifying headers are there. A file that is neither but has
    more of the planner's required columns than of any export's identifying headers is
    read as the planner's own (its reader names what is missing, as it always has).
    Otherwise raises InputError saying, for each layout of those kinds, the headers it
    expected.
    """
    headers = tuple(str(c) for c in raw.columns)
    keys = {header_key(h) for h in headers}
    own: list[Kind] = [k for k in ("actuals", "roster") if k in kinds]
    for kind in own:
        if _planner_share(keys, _own_specs(kind)) == 1:
            return Recognised(file, kind, None, headers)
    found = [layout for layout in LAYOUTS if layout.kind in kinds and _matches(layout, keys)]
    if found:
        best = max(found, key=lambda layout: len(layout.signature))
        return Recognised(file, best.kind, best, headers)
    closest = max((_layout_count(layout, keys) for layout in LAYOUTS if layout.kind in kinds),
                  default=0)
    for kind in own:
        if _planner_count(keys, _own_specs(kind)) > closest:
            return Recognised(file, kind, None, headers)
    raise InputError(_unrecognised(headers, file, kinds, keys))


def _unrecognised(headers: Sequence[str], file: str, kinds: Sequence[Kind],
                  keys: set[str]) -> list[Problem]:
    shown = t("list.sep").join(headers[:15]) + (" …" if len(headers) > 15 else "")
    problems = [Problem(t("export.unrecognised", headers=shown), file=file,
                        fix=t("export.unrecognised_fix"))]
    own: list[tuple[str, Sequence[ColumnSpec]]] = []
    if "actuals" in kinds:
        own.append((PLANNER_ACTUALS, ACTUALS_COLUMNS))
    if "roster" in kinds:
        own.append((PLANNER_ROSTER, VIDEO_COLUMNS))
    for layout_id, specs in own:
        missing = [s.name for s in specs
                   if s.required and not any(header_key(h) in keys for h in s.headers)]
        problems.append(Problem(
            t("export.layout_expected", layout=t(f"export.layout.{layout_id}"),
              expected=t("list.sep").join(s.name for s in specs if s.required),
              missing=t("list.sep").join(missing)),
            file=file, column=missing[0] if missing else None,
            fix=t("export.layout_expected_fix")))
    for layout in LAYOUTS:
        if layout.kind not in kinds:
            continue
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


# ---------------------------------------------------------------- mapping


@dataclass(frozen=True)
class Mapped:
    """A recognised file read into planner columns (raw cells, normalised)."""

    recognised: Recognised
    table: pd.DataFrame  # canonical columns, index = the buyer's row numbers
    mapping: tuple[tuple[str, str], ...]  # (header in the file, what the planner reads it as)
    unused: tuple[str, ...]  # headers the planner does not read
    notes: tuple[str, ...]
    specs: tuple[ColumnSpec, ...]
    family: Family
    tool_header: str | None = None
    group_headers: tuple[str, ...] = ()  # every ad-group id / name column the file has
    link_header: str | None = None

    @property
    def group_header(self) -> str | None:
        return self.group_headers[0] if self.group_headers else None


def _spec(column: str, header: str, required: bool) -> ColumnSpec:
    base = _SPECS[column]
    return ColumnSpec(column, (header,), base.kind, required, base.max_value, base.live_only)


def _extra_spec(name: str, header: str) -> ColumnSpec:
    return ColumnSpec(name, (header,), "str")


def map_file(path: Path, kinds: Sequence[Kind], campaign: Campaign | None = None,
             raw: pd.DataFrame | None = None) -> Mapped:
    """Recognise ``path`` among ``kinds`` and read it into planner columns."""
    name = path.name
    if raw is None:
        # The planner's own file is read exactly as it always was (its header found by
        # its own columns); an export is read again with every header a layout knows.
        own: list[Kind] = [k for k in ("actuals", "roster") if k in kinds]
        raw = read_table(path, _own_specs(own[0]) if len(own) == 1 else HEADER_SPECS)
        keys = {header_key(str(c)) for c in raw.columns}
        if not (len(own) == 1 and _planner_share(keys, _own_specs(own[0])) == 1):
            raw = read_table(path, HEADER_SPECS)
    recognised = recognise(raw, name, kinds)
    layout = recognised.layout
    if layout is None:
        own_specs = _own_specs(recognised.kind)
        table, notes = read_normalised(path, own_specs, raw=raw)
        headers = source_columns(table)
        mapping = tuple((headers[c], c) for c in table.columns)
        used = {h for h, _ in mapping}
        unused = tuple(h for h in recognised.headers if h not in used)
        family: Family = "given" if recognised.kind == "actuals" else "none"
        return Mapped(recognised, table, mapping, unused, tuple(notes), tuple(own_specs),
                      family)
    specs: list[ColumnSpec] = []
    problems: list[Problem] = []
    for fill in layout.fills:
        header = recognised.find(fill.headers)
        if header is not None:
            specs.append(_spec(fill.column, header, fill.required))
        elif fill.required and not (fill.column == "video_id" and (
                recognised.find(layout.group_headers) or recognised.find(layout.link_headers))):
            problems.append(Problem(
                t("export.column_missing", layout=layout.label, column=fill.column,
                  headers=" / ".join(fill.headers)),
                file=name, column=fill.headers[0],
                fix=t("export.column_missing_fix", headers=" / ".join(fill.headers))))
    family = "none"
    if layout.gmv_by_family:
        chosen: GmvFamily = campaign.gmv_family if campaign is not None else "overall"
        header = recognised.find(layout.gmv_by_family[chosen])
        if header is None:
            present = [f for f, hs in layout.gmv_by_family.items() if recognised.find(hs)]
            problems.append(Problem(
                t("export.family_missing", family=t(f"export.family.{chosen}"),
                  headers=" / ".join(layout.gmv_by_family[chosen])),
                file=name, column=layout.gmv_by_family[chosen][0],
                fix=t("export.family_missing_fix",
                      families=", ".join(f'gmv_family = "{f}"' for f in present) or "-")))
        else:
            specs.append(_spec("gmv", header, False))
            family = chosen
        orders = recognised.find(layout.orders_by_family.get(chosen, ()))
        if orders is not None:
            specs.append(_spec("orders", orders, False))
    elif layout.kind == "gmv":
        family = "shop"
    if problems:
        raise InputError(problems)
    groups = tuple(h for h in (recognised.find((g,)) for g in layout.group_headers) if h)
    extras: dict[str, str | None] = {
        "tool_header": recognised.find(layout.tool_headers),
        "link_header": recognised.find(layout.link_headers),
        **{f"group_header_{i}": header for i, header in enumerate(groups)},
    }
    for key, header in extras.items():
        if header is not None:
            specs.append(_extra_spec(key, header))
    table, notes = read_normalised(path, specs, raw=raw)
    headers = source_columns(table)
    mapping = tuple((headers[s.name], s.name) for s in specs if s.name in headers)
    used = {h for h, _ in mapping}
    unused = tuple(h for h in recognised.headers if h not in used)
    # normalise_columns says "ignored N columns" in English; the mapping says it better.
    notes = [n for n in notes if not n.startswith(f"{name}: ignored ")]
    if unused:
        notes.append(unused_note(name, unused))
    return Mapped(recognised, table, mapping, unused, tuple(notes), tuple(specs), family,
                  tool_header=extras["tool_header"], group_headers=groups,
                  link_header=extras["link_header"])


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


# ---------------------------------------------------------------- roster


def read_roster_table(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """The videos file, or a 星图 / 蝉妈妈 export, as canonical roster columns (raw cells).

    A live-only column (natural plays, GMV, likes, comments) the export lacks is added
    empty: scheduled posts need none, and a live post's row then says what is missing.
    """
    mapped = map_file(path, ("roster",))
    if mapped.recognised.layout is None:
        return mapped.table, list(mapped.notes)
    table = mapped.table.copy()
    table.attrs = dict(mapped.table.attrs)
    links = [f.column for f in mapped.recognised.layout.fills if f.link]
    headers = source_columns(table)
    for column in links:
        if column in table.columns:
            table[column] = [
                (video_id_from_link(cell) or cell) if isinstance(cell, str) else cell
                for cell in table[column]
            ]
    for spec in VIDEO_COLUMNS:
        if spec.live_only and spec.name not in table.columns:
            table[spec.name] = pd.Series([None] * len(table), index=table.index, dtype=object)
            headers[spec.name] = spec.name
    table.attrs["source_columns"] = headers
    notes = [t("export.recognised", file=path.name, layout=mapped.recognised.label),
             *mapped.notes]
    return table, notes


# ---------------------------------------------------------------- actuals


@dataclass(frozen=True)
class ActualRows:
    """One file's actuals: rows keyed by date, video and tool, with their source."""

    mapped: Mapped
    rows: list[dict[str, Any]]  # date, video_id, tool (None: any), spend, gmv, plays, ...


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
    from planner.links import _content_tags

    ids = [v.video_id for v in videos]
    tags, _ = _content_tags(ids, {v.video_id: v for v in videos}, {})
    return {**{vid: vid for vid in ids}, **{tag: vid for vid, tag in tags.items()}}


def read_actual_rows(path: Path, campaign: Campaign | None = None,
                     videos: Sequence[Video] = ()) -> ActualRows:
    """One actuals file (the planner's own, or an export) as rows; InputError lists
    every problem, with the file, row and column."""
    name = path.name
    mapped = map_file(path, ("actuals", "gmv"), campaign)
    if mapped.recognised.layout is None:
        frame, _ = read_actuals(path, (mapped.table, list(mapped.notes)))
        rows = [{**{str(k): (None if isinstance(v, float) and math.isnan(v) else v)
                    for k, v in row.items()}, "_rows": [number]}
                for number, row in enumerate(frame.to_dict("records"), start=2)]
        return ActualRows(mapped, rows)
    layout = mapped.recognised.layout
    parsed, problems = _parse_cells(mapped.table, mapped.specs, name)
    headers = source_columns(mapped.table)
    by_tag = _link_tags(videos) if mapped.link_header else {}
    out: dict[tuple[object, object, object], dict[str, Any]] = {}
    failed = {p.row for p in problems}
    for number, values in parsed:
        if number in failed:
            continue
        tool: Tool | None = layout.tool
        if mapped.tool_header is not None and values.get("tool_header"):
            named = parse_tool(str(values["tool_header"]))
            tool = named or tool
        video = values.get("video_id")
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
    rows = list(out.values())
    return ActualRows(mapped, rows)


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


# ---------------------------------------------------------------- inspecting


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
    raw = read_table(path, HEADER_SPECS)
    recognised = recognise(raw, path.name, ("actuals", "gmv", "roster"))
    if recognised.kind == "roster":
        from planner.io.tables import read_videos

        mapped = map_file(path, ("roster",), campaign, raw=raw)
        videos, notes = read_videos(path, plan_date=plan_date)
        preview = pd.DataFrame([
            {"status": t("inspect.scheduled") if plan_date is not None
             and v.publish_date > plan_date else t("inspect.live"),
             **v.model_dump(exclude_defaults=True)}
            for v in videos[:rows]])
    else:
        source = read_actual_rows(path, campaign, videos)
        mapped = source.mapped
        notes = list(mapped.notes)
        preview = pd.DataFrame([{k: v for k, v in r.items() if not k.startswith("_")}
                                for r in source.rows[:rows]])
    # What the inspection says in its own lines is not repeated among the notes.
    said = {t("export.recognised", file=path.name, layout=recognised.label),
            unused_note(path.name, mapped.unused)}
    kept = tuple(n for n in notes if n not in said and not n.startswith(f"{path.name}: ignored "))
    return Inspection(path.name, recognised.layout_id, recognised.label, recognised.kind,
                      mapped.family, mapped.mapping, mapped.unused, kept, preview)


def column_label(column: str) -> str:
    """A planner column as the buyer reads it: its id and its name in the catalogue."""
    if column.startswith("group_header_"):
        return t("inspect.col.group")
    if column in ("tool_header", "link_header"):
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
