"""Tracking links (UTM) for every order of a plan, and the links sheet.

Naming convention (common tracking-link practice):

    utm_source   = douyin
    utm_medium   = the tool id                      (dou_plus, content_service, ...)
    utm_campaign = the campaign name, normalised    (one value for the whole campaign)
    utm_content  = the KOL tag, unique per KOL      (plus the video id, see below)
    utm_term     = the order's targeting, or "none"

Normalised means lower case, underscores instead of spaces and punctuation,
and only ``a-z 0-9 _ -``. A name with Chinese (or other non-ASCII) characters
cannot be normalised without losing its meaning, so it needs a slug from the
``slugs`` mapping (name -> slug); without one, a KOL falls back to the video
id and the campaign to the ASCII part of its name (or its start date). The
``notes`` column says whenever a fallback was used.

The KOL tag is unique per KOL: two KOLs whose names normalise to the same tag
both get their video id appended, and a KOL with several videos in the roster
gets the video id appended too, so that no two videos share a link.

The landing page's own query string is kept verbatim, except the tracking tags
that platforms add when a link is copied or shared (``PLATFORM_PARAMS`` and any
``utm_*``): they would double-count or mislabel the traffic, so they are
removed and replaced by ours. Every module here is pure: no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import unquote_plus, urlencode, urlsplit, urlunsplit

from planner.config import Campaign
from planner.i18n import current_lang, t, tool_name, use_lang
from planner.models import Order, Plan, Video
from planner.parsing import encode_url
from planner.table import Table

__all__ = [
    "LINK_COLUMNS",
    "PLATFORM_PARAMS",
    "UTM_SOURCE",
    "TrackingLink",
    "links_table",
    "normalise_tag",
    "strip_platform_params",
    "tracking_links",
]

UTM_SOURCE: Final = "douyin"

# Query parameters that platforms append to copied or shared links. Any key
# starting with "utm_" is removed as well (a stale campaign's tags).
PLATFORM_PARAMS: Final[frozenset[str]] = frozenset({
    # Instagram / Facebook
    "fbclid", "igshid", "igsh", "ig_rid", "ig_mid", "ig_web_copy_link",
    # Google, Microsoft, Yandex, TikTok, Twitter/X, Mailchimp click ids
    "gclid", "gclsrc", "gbraid", "wbraid", "dclid", "_ga", "_gl", "msclkid", "yclid",
    "ttclid", "twclid", "mc_cid", "mc_eid",
    # Alibaba / Taobao / Tmall page-position and affiliate trackers
    "spm", "scm", "ali_trackid", "ali_refid",
    # Douyin / Toutiao share tokens
    "share_token", "share_sign", "share_version", "share_app_id", "share_link_id",
    "u_code", "with_sec_did",
})
_UTM_PREFIX: Final = "utm_"
_WEB_SCHEMES: Final = frozenset({"http", "https"})
_UNSAFE: Final = re.compile(r"[^a-z0-9_-]+")

LINK_COLUMNS: Final[tuple[str, ...]] = (
    "short_name", "video_id", "kol_name", "tool", "start_date", "end_date", "budget",
    "url", "landing_url", "utm_source", "utm_medium", "utm_campaign", "utm_content",
    "utm_term", "created", "notes",
)


def normalise_tag(text: str) -> str:
    """Lower case, ``_`` for spaces and punctuation, only ``a-z 0-9 _ -``.

    Full-width letters and digits from Chinese input methods count as ASCII
    (NFKC); every other character becomes a separator, so a Chinese name
    normalises to its ASCII part only.
    """
    # ASCII is its own NFKC form (most ids and slugs): only other text is folded.
    folded = (text if text.isascii() else unicodedata.normalize("NFKC", text)).lower()
    return re.sub(r"_+", "_", _UNSAFE.sub("_", folded)).strip("_-")


def _readable(text: str) -> bool:
    """Whether normalising keeps the whole name (only ASCII after NFKC)."""
    return unicodedata.normalize("NFKC", text).isascii() and bool(normalise_tag(text))


def _slug_for(name: str, slugs: Mapping[str, str]) -> str | None:
    raw = slugs.get(name)
    if raw is None:
        raw = slugs.get(name.strip())
    if raw is None:
        return None
    return normalise_tag(raw) or None


def _is_platform_key(key: str) -> bool:
    folded = key.strip().lower()
    return folded.startswith(_UTM_PREFIX) or folded in PLATFORM_PARAMS


def strip_platform_params(query: str) -> tuple[list[str], list[str]]:
    """Split a raw query string into the pieces kept (verbatim) and the keys removed.

    Pieces are compared on their decoded key, case-insensitively, so
    ``UTM_Source`` and ``utm%5Fsource`` go too. An exact repeat of a kept piece
    is dropped: it adds nothing and would make the parameter appear twice.
    """
    kept: list[str] = []
    removed: list[str] = []
    for piece in query.split("&"):
        if not piece:
            continue
        key = unquote_plus(piece.split("=", 1)[0])
        if _is_platform_key(key):
            if key not in removed:
                removed.append(key)
        elif piece not in kept:
            kept.append(piece)
    return kept, removed


@dataclass(frozen=True)
class TrackingLink:
    """One order's link: the full URL (None if there is no usable landing page)."""

    order: Order
    short_name: str
    kol_name: str
    url: str | None
    landing_url: str | None
    params: dict[str, str]
    notes: tuple[str, ...] = field(default=())


def _web_address(raw: str) -> tuple[str | None, str | None]:
    """(usable http(s) URL or None, note)."""
    text = raw.strip()
    if any(ch.isspace() for ch in text):
        return None, t("links.spaces", url=text)
    parts = urlsplit(text)
    if not parts.scheme and not parts.netloc and "." in parts.path.split("/", 1)[0]:
        # "detail.tmall.com/item.htm?id=1": buyers often paste links without a scheme.
        return f"https://{text}", t("links.added_https")
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
        return None, t("links.not_web", url=text)
    encoded = urlunsplit((parts.scheme, parts.netloc, encode_url(parts.path),
                          encode_url(parts.query), encode_url(parts.fragment)))
    if encoded != text:
        return encoded, t("links.percent_encoded")
    return text, None


def build_url(landing_url: str, params: Mapping[str, str]) -> tuple[str, list[str]]:
    """Append ``params`` to ``landing_url``; returns the URL and the platform keys removed.

    ``landing_url`` must be an http(s) address. Our parameters go last, after
    the landing page's own (kept) parameters, and before any ``#fragment``.
    """
    parts = urlsplit(landing_url)
    kept, removed = strip_platform_params(parts.query)
    # RFC 3986: what a URL may not hold as it is (quotes, <, >, spaces, Chinese) is
    # percent-encoded, so markup pasted into a landing page never reaches a link as markup.
    query = "&".join([*(encode_url(k) for k in kept), urlencode(params)])
    return urlunsplit((parts.scheme, parts.netloc, encode_url(parts.path), query,
                       encode_url(parts.fragment))), removed


def _campaign_tag(campaign: Campaign, slugs: Mapping[str, str]) -> tuple[str, str | None]:
    slug = _slug_for(campaign.name, slugs)
    if slug:
        return slug, None
    if _readable(campaign.name):
        return normalise_tag(campaign.name), None
    # A per-video fallback would split one campaign into many utm_campaign
    # values, so the campaign keeps whatever ASCII it has, or its start date.
    residue = normalise_tag(campaign.name)
    tag = residue if residue else f"campaign_{campaign.start:%Y%m%d}"
    return tag, t("links.no_campaign_slug", campaign=campaign.name, tag=tag)


def content_tags(
    video_ids: Sequence[str], by_id: Mapping[str, Video], slugs: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]]:
    """Video id -> utm_content, unique per video and per KOL; and notes per video."""
    notes: dict[str, str] = {}
    base: dict[str, str] = {}
    from_name: set[str] = set()
    for vid in video_ids:
        video = by_id.get(vid)
        name = video.kol_name if video else ""
        slug = _slug_for(name, slugs) if name else None
        if slug:
            base[vid] = slug
            from_name.add(vid)
        elif name and _readable(name):
            base[vid] = normalise_tag(name)
            from_name.add(vid)
        else:
            base[vid] = normalise_tag(vid) or "video"
            if video is None:
                notes[vid] = t("links.video_not_in_roster", video=vid)
            else:
                notes[vid] = t("links.no_kol_slug", kol=name)
    kols_of_tag: dict[str, set[str]] = defaultdict(set)
    videos_of_kol: dict[str, set[str]] = defaultdict(set)
    kols = [by_id[vid].kol_name if vid in by_id else f"\x00{vid}" for vid in video_ids]
    for vid, kol in zip(video_ids, kols, strict=True):
        kols_of_tag[base[vid]].add(kol)
        videos_of_kol[kol].add(vid)
    tags: dict[str, str] = {}
    for vid, kol in zip(video_ids, kols, strict=True):
        tag = base[vid]
        shared = len(kols_of_tag[tag]) > 1
        if vid in from_name and (shared or len(videos_of_kol[kol]) > 1):
            suffix = normalise_tag(vid)
            tag = f"{tag}_{suffix}"
            if shared:
                notes[vid] = t("links.shared_tag", tag=base[vid])
        tags[vid] = tag
    # A KOL named like another video's id ("v2" next to video v2) can still
    # collide after the suffixes; a counter settles it for good.
    seen: dict[str, str] = {}
    for vid in video_ids:
        tag, n = tags[vid], 1
        while tag in seen and seen[tag] != vid:
            n += 1
            tag = f"{tags[vid]}_{n}"
        seen[tag] = vid
        tags[vid] = tag
    return tags, notes


def tracking_links(
    plan: Plan,
    videos: Sequence[Video],
    campaign: Campaign,
    *,
    slugs: Mapping[str, str] | None = None,
) -> list[TrackingLink]:
    """One tracking link per order of ``plan``, in the plan's order."""
    slugs = slugs or {}
    by_id = {v.video_id: v for v in videos}
    campaign_tag, campaign_note = _campaign_tag(campaign, slugs)
    # Every roster video takes part, so a KOL's tag does not change when the
    # plan happens to buy only one of their videos today.
    ids = list(dict.fromkeys([v.video_id for v in videos] + [o.video_id for o in plan.orders]))
    content, content_notes = content_tags(ids, by_id, slugs)
    links: list[TrackingLink] = []
    short_names: set[str] = set()
    for order in plan.orders:
        video = by_id.get(order.video_id)
        notes: list[str] = [campaign_note] if campaign_note else []
        if order.video_id in content_notes:
            notes.append(content_notes[order.video_id])
        params = {
            "utm_source": UTM_SOURCE,
            "utm_medium": normalise_tag(str(order.tool)),
            "utm_campaign": campaign_tag,
            "utm_content": content[order.video_id],
            "utm_term": normalise_tag(order.targeting or "") or "none",
        }
        raw_landing = (video.landing_url if video else None) or campaign.default_landing_url
        url: str | None = None
        landing: str | None = None
        if raw_landing is None or not raw_landing.strip():
            notes.append(t("links.no_landing"))
        else:
            landing, note = _web_address(raw_landing)
            if note:
                notes.append(note)
            if landing is not None:
                url, removed = build_url(landing, params)
                if removed:
                    notes.append(t("links.removed_tags", tags=t("list.sep").join(removed)))
        if order.fixed:
            notes.append(t("links.already_booked"))
        short = f"{order.video_id}-{order.tool}-{order.start_date:%Y%m%d}"
        name, n = short, 1
        while name in short_names:
            n += 1
            name = f"{short}-{n}"
        short_names.add(name)
        links.append(TrackingLink(
            order=order, short_name=name, kol_name=video.kol_name if video else "",
            url=url, landing_url=landing, params=params, notes=tuple(notes),
        ))
    return links


def links_sheet(links: Table) -> Table:
    """``links_table`` as plan.xlsx's 追踪链接 sheet shows it: the tool by its name (links.csv
    keeps the id; the links and their UTM tags are the same in both)."""
    return links.with_column("tool", [tool_name(tool) for tool in links.column("tool")])


def links_sheets(links: Table) -> dict[str, Table]:
    """The extra sheet plan.xlsx carries for ``links``: {追踪链接: the links by tool name}.
    ``planner plan`` and the app's download both write it this way."""
    return {t("sheet.links"): links_sheet(links)}


def links_table(
    plan: Plan,
    videos: Sequence[Video],
    campaign: Campaign,
    *,
    slugs: Mapping[str, str] | None = None,
) -> Table:
    """The links sheet: short name, full URL, each parameter, creation date, notes.

    The creation date is the plan date, so the same plan gives the same sheet.
    """
    # The language fixed for the whole sheet: a note is said for every roster video whose
    # KOL has no tag of their own, and the context's choice is read far faster than the
    # environment's.
    with use_lang(current_lang()):
        links = tracking_links(plan, videos, campaign, slugs=slugs)
    rows = [
        {
            "short_name": link.short_name,
            "video_id": link.order.video_id,
            "kol_name": link.kol_name,
            "tool": str(link.order.tool),
            "start_date": link.order.start_date,
            "end_date": link.order.end_date,
            "budget": link.order.budget,
            "url": link.url,
            "landing_url": link.landing_url,
            **link.params,
            "created": plan.plan_date,
            "notes": "; ".join(link.notes),
        }
        for link in links
    ]
    return Table.from_records(LINK_COLUMNS, rows)
