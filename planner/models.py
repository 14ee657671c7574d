"""Validated inputs and the plan the planner produces (``plan.json`` is ``Plan``)."""

# No `from __future__ import annotations` here: pydantic would then read every field's
# annotation back from a string while it builds the classes, at every start-up (about
# 4 ms of CPU in each command's; the classes and their validation are the same either way).

from datetime import date
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from planner.i18n import line_text, money, t
from planner.tools import Tool

Tier = Literal["koc", "tail", "mid", "head", "super_head"]
Day = date  # for annotations after a field named ``date``
Mode = Literal["smart", "targeted"]

# What a video's ROI estimate rests on (planner.uncertainty), and the buyer's risk attitude.
# "live_room": direct live-room buying, valued at the room's configured GMV per 1,000.
RoiSource = Literal["natural", "kol_history", "tier_prior", "learned", "live_room"]
RiskObjective = Literal["expected", "balanced", "cautious"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Video(_Model):
    """One KOL video as read from the videos file (English column names)."""

    video_id: str = Field(min_length=1)
    kol_name: str
    followers: int = Field(ge=0)
    median_plays: float = Field(ge=0)
    publish_date: date
    # Empty only on a scheduled post (published after the plan date): the planner then
    # expects them from the KOL's history (planner.scheduled).
    natural_plays: float | None = Field(None, ge=0, description="Plays before any paid traffic.")
    natural_gmv: float | None = Field(
        None, ge=0, description="Sales from those natural plays, yuan."
    )
    likes: int | None = Field(None, ge=0)
    comments: int | None = Field(None, ge=0)
    shares: int | None = Field(None, ge=0)
    kol_authorized: bool = False
    ad_review_passed: bool = False
    roi_3m: float | None = Field(None, ge=0, description="Traffic ROI over the last 3 months.")
    first_2h_plays: float | None = Field(None, ge=0)
    first_2h_gmv: float | None = Field(None, ge=0)
    kol_fee: float | None = Field(None, ge=0)
    product: str | None = None
    landing_url: str | None = None

    @field_validator("landing_url")
    @classmethod
    def _usable_address(cls, value: str | None) -> str | None:
        from planner.parsing import usable_url

        return usable_url(value)


ReasonParam = str | int | float


class Reason(_Model):
    """A decision's stable code, the sentence a buyer reads and the figures in it.

    ``text`` is the rule's own sentence in English. ``params`` holds the figures
    it names (numbers as numbers, dates as ISO text, tools and tiers as codes),
    so ``planner.i18n.reason_text`` can tell the same decision in another
    language; ``params["form"]``, when present, picks a variant of the code's
    sentence. None for a decision whose sentence has no figures.
    """

    code: str
    text: str
    params: dict[str, ReasonParam] | None = Field(
        None, description="The figures in the sentence, by name; 'form' picks a variant.")


class Line(_Model):
    """One of the planner's own sentences (what binds, an assumption) as code and figures.

    ``planner.i18n.line_text`` says it in the current language from the catalogue's
    ``line.<code>`` template (``params["form"]`` picks ``line.<code>.<form>``), so a
    front end can show a stored plan in the buyer's language.
    """

    code: str
    params: dict[str, ReasonParam] | None = Field(
        None, description="The figures in the sentence, by name; 'form' picks a variant.")


class VideoScore(_Model):
    """Traffic-ROI scores and rule verdicts of one video."""

    video_id: str
    kol_name: str
    tier: Tier
    age_days: int
    gpm: float
    traffic_roi: float
    comment_like_rate: float
    engagement_rate: float
    has_weight: bool
    burst: bool
    eligible_tools: list[Tool]
    reasons: list[Reason]


class Order(_Model):
    """One order the team places: a tool on a video over a date range."""

    video_id: str
    tool: Tool
    kol_name: str = ""
    start_date: date
    end_date: date
    booking_date: date
    budget: float
    mode: Mode | None = None
    targeting: str | None = None
    expected_gmv: float
    fixed: bool = False
    reasons: list[Reason]
    gmv_p10: float | None = Field(
        None, description="GMV the order brings in a bad case (10th percentile of its "
        "video's ROI belief); equal to expected_gmv once its GMV is known.")
    gmv_p90: float | None = Field(
        None, description="GMV the order brings in a good case (90th percentile).")


class DailySpend(_Model):
    date: date
    video_id: str
    tool: Tool
    spend: float
    expected_gmv: float


class LiveRoomDay(_Model):
    """One day of the brand live room: where its traffic comes from and what it sells."""

    date: date
    short_video_spend: float = Field(
        description="Yuan bought on short videos that day (every tool on a video): the "
        "traffic that feeds the room.")
    short_video_gmv: float = Field(
        description="Expected GMV of that short-video traffic, yuan (sold in the room).")
    direct_spend: float = Field(
        description="Yuan of direct live-room buying (qianchuan_live) that day.")
    direct_gmv: float = Field(description="Expected GMV of direct live-room buying, yuan.")
    own_gmv: float = Field(
        description="GMV of the room's own traffic (followers, the live plaza), yuan: where "
        "it stalls without short-video traffic ([live_room_traffic] ceiling); not bought, "
        "so outside the plan's expected_gmv.")
    gmv: float = Field(description="The room's GMV that day: own + short video + direct.")
    direct_share: float = Field(
        description="Direct buying as a share of the short-video spend that day (at most "
        "[live_room_traffic] direct_cap).")
    short_video_share: float = Field(
        description="Short videos' share of the room's bought traffic (spend) that day.")


class LiveRoom(_Model):
    """The brand live room of a closed-loop campaign with ``live_room = true``."""

    ceiling: float = Field(description="GMV a day without short-video traffic, yuan.")
    direct_cap: float = Field(description="Most direct buying, as a share of short-video "
                              "spend the same day.")
    short_video_share: float = Field(description="Least share of the room's bought traffic "
                                     "that short videos bring [seed: 80%+].")
    gmv: float = Field(description="The room's GMV over the plan's days, yuan.")
    short_video_gmv: float = Field(description="Of which from short-video traffic, yuan.")
    direct_gmv: float = Field(description="Of which from direct live-room buying, yuan.")
    own_gmv: float = Field(description="Of which from the room's own traffic, yuan.")
    days: list[LiveRoomDay]


VideoStatus = Literal["live", "scheduled"]


class VideoSummary(_Model):
    video_id: str
    kol_name: str = ""
    status: VideoStatus = Field(
        "live", description="scheduled: booked KOL post not yet live, planned from estimates."
    )
    publish_date: date | None = None
    gpm: float
    traffic_roi: float
    tier: Tier
    eligible_tools: list[Tool]
    reasons: list[Reason]
    roi_source: RoiSource | None = Field(
        None, description="What the ROI estimate rests on: natural (the video's own natural "
        "sales), kol_history (the KOL's 3-month ROI or other videos), tier_prior, learned "
        "(re-planning actuals).")
    roi_p10: float | None = Field(None, description="Traffic ROI in a bad case (10th "
                                  "percentile of the belief, the campaign's shock included).")
    roi_p90: float | None = Field(None, description="Traffic ROI in a good case (90th "
                                  "percentile).")


class AttitudeFigures(_Model):
    """What one risk attitude's plan gives: the price of safety, side by side."""

    objective: RiskObjective
    expected_gmv: float
    gmv_p10: float
    tail_gmv: float = Field(description="Mean GMV of the worst `level` share of scenarios.")


class FanPoint(_Model):
    """Cumulative GMV up to a day: expected, and its P10, P50 and P90 over the scenarios."""

    date: date
    expected: float
    p10: float
    p50: float
    p90: float


class RiskSummary(_Model):
    """The plan's risk attitude and its GMV over the scenarios."""

    objective: RiskObjective
    level: float
    scenarios: int
    tail_gmv: float = Field(description="Mean GMV of the worst `level` share of scenarios "
                            "(conditional value at risk).")
    attitudes: list[AttitudeFigures] = Field(
        default_factory=list, description="The same campaign planned with each attitude.")

    def attitudes_text(self) -> str:
        """The price of safety in one line, in the current language."""
        # Each attitude once; the plan's own is marked where it stands in the list.
        lines = [t("cli.attitude_current" if a.objective == self.objective else "cli.attitude",
                   objective=t(f"risk.{a.objective}"), gmv=money(a.expected_gmv),
                   p10=money(a.gmv_p10)) for a in self.attitudes]
        return t("cli.attitudes", lines=t("cli.attitude_sep").join(lines))


ChangeKind = Literal["added", "removed", "increased", "decreased", "mode_switched"]


class Change(_Model):
    """How a video-tool's remaining budget changed against the previous plan."""

    video_id: str
    tool: Tool
    kind: ChangeKind
    old_budget: float
    new_budget: float
    old_mode: Mode | None = None
    new_mode: Mode | None = None
    reason: Reason


class Topup(_Model):
    """A 2h or 6h Dou+ top-up added on top of the day's Dou+ for an ROI peak."""

    video_id: str
    date: date
    hours: Literal[2, 6]
    budget: float
    reason: Reason


class LearnedRoi(_Model):
    """A video-tool's ROI before and after the actuals."""

    video_id: str
    tool: Tool
    spend: float
    gmv: float
    prior_roi: float
    observed_roi: float
    learned_roi: float


# How a past line was reported: with spend and GMV; with spend whose GMV has not
# arrived yet (a spend-only report: GMV unknown, never 0); or not at all (a planned
# line no actuals file names: counted as spent as planned unless told it did not run).
PvaStatus = Literal["reported", "gmv_unknown", "unreported"]


class PlanVsActual(_Model):
    """One past day, video and tool: what the plan in force that day said, what happened."""

    date: date
    video_id: str
    tool: Tool
    planned_on: Day | None = Field(
        description="Date of the recorded plan in force that day (none recorded: null)."
    )
    planned_spend: float
    actual_spend: float | None = Field(
        description="Spend the actuals report, yuan (null: no actuals file reports the line).")
    planned_gmv: float = Field(description="GMV the plan expected from its spend, yuan.")
    actual_gmv: float | None = Field(
        description="GMV the actuals report, yuan (null: unknown, never 0: no GMV file for "
        "the day yet, or the line is unreported).")
    planned_roi: float | None = Field(description="planned_gmv / planned_spend (null: none).")
    actual_roi: float | None = Field(description="actual_gmv / actual_spend (null: none).")
    status: PvaStatus = Field(
        "reported", description="reported; gmv_unknown (spend without GMV yet); unreported "
        "(planned, no actuals file names it).")
    counted_spend: float | None = Field(
        None, description="What the budget counts for the line, yuan: the actual spend, or "
        "for an unreported line its planned spend (replan --unreported zero: 0).")


SolveStatus = Literal["optimal", "feasible", "no_spend"]


class Plan(_Model):
    """The plan: headline figures, orders, the daily schedule and per-video verdicts."""

    campaign: str
    chain: str
    plan_date: date
    status: SolveStatus
    solver: str
    budget: float
    total_spend: float
    unspent: float
    binding: list[str] = Field(
        description="What stops more spending, one sentence each, in the plan's language.")
    expected_gmv: float
    bound_gmv: float = Field(description=(
        "Proven bound, in yuan: for objective 'expected', no plan's expected GMV exceeds it; "
        "for 'balanced' and 'cautious', this plan's expected GMV plus what the chosen "
        "objective is not yet proven to have (its gap), in GMV."))
    gap: float = Field(description="Share of the chosen objective not yet proven optimal.")
    roi_floor: float
    roi_floor_source: str = Field(
        description="Where the ROI floor comes from, in the plan's language.")
    expected_roi: float
    seeding_share: float
    kol_fees: float
    solve_seconds: float
    assumptions: list[str] = Field(
        description="The model's assumptions (and solver notes), in the plan's language.")
    orders: list[Order]
    daily: list[DailySpend]
    videos: list[VideoSummary]
    changes: list[Change] = Field(
        default_factory=list, description="Re-planning: what changed against the previous plan."
    )
    topups: list[Topup] = Field(default_factory=list, description="Re-planning: Dou+ top-ups.")
    learned: list[LearnedRoi] = Field(
        default_factory=list, description="Re-planning: ROI estimates learned from actuals."
    )
    timings: dict[str, float] = Field(
        default_factory=dict,
        description="Seconds per stage: rules, response (model of returns), build (PuLP "
        "model), solve (inside the solver), layout; from planner plan, the app and planner "
        "batch also probe (what the next 10,000 yuan would buy) and attitudes (the other "
        "risk attitudes).",
    )
    marginal: list[str] = Field(
        default_factory=list,
        description="What the next 10,000 yuan of budget would buy, in words (planner.sweep).",
    )
    binding_lines: list[Line] = Field(
        default_factory=list,
        description="binding as codes and figures, one per sentence, in the same order.")
    assumption_lines: list[Line] = Field(
        default_factory=list,
        description="assumptions as codes and figures, one per sentence, in the same order.")
    roi_floor_line: Line | None = Field(
        None, description="roi_floor_source as a code and figures.")
    gmv_range: dict[str, float] = Field(
        default_factory=dict, description="The plan's GMV over its scenarios: p10, p50, p90 "
        "(the expected_gmv is their mean).")
    risk: RiskSummary | None = Field(
        None, description="Risk attitude, tail GMV and what the other attitudes would give.")
    gmv_fan: list[FanPoint] = Field(
        default_factory=list, description="Cumulative GMV per planned day with its P10-P90 "
        "band over the scenarios (the app's fan chart).")
    plan_vs_actual: list[PlanVsActual] = Field(
        default_factory=list,
        description="Re-planning: per day so far, video and tool, the spend, GMV and ROI the "
        "plan in force that day expected against the actuals (the buyer's daily report).",
    )
    live_room: LiveRoom | None = Field(
        None, description="Closed loop with live_room = true: the brand live room per day, "
        "its traffic sources (short videos, direct buying, its own) and its GMV.")
    spent_to_date: float = Field(
        0.0, description="Money counted as spent before plan_date, yuan: every actual spend "
        "(GMV known or not) and each unreported planned line as planned (0 for a fresh plan).")
    budget_left: float | None = Field(
        None, description="budget - spent_to_date, yuan: what the days from plan_date on "
        "may still spend (booked orders included).")

    @model_validator(mode="after")
    def _budget_left(self) -> Self:
        # Plans recorded before the field existed: what they left is the budget less
        # what they counted as spent.
        if self.budget_left is None:
            self.budget_left = round(self.budget - self.spent_to_date, 2)
        return self

    @property
    def search_stopped(self) -> bool:
        """solver.time_limit_s ended the search before the plan was proven optimal."""
        return self.status != "optimal" and any(
            line.code == "time_limit" for line in self.assumption_lines)

    def binding_text(self) -> list[str]:
        """``binding`` in the current language (from ``binding_lines`` when recorded)."""
        return _said(self.binding_lines, self.binding)

    def assumptions_text(self) -> list[str]:
        """``assumptions`` in the current language (from ``assumption_lines`` when recorded)."""
        return _said(self.assumption_lines, self.assumptions)

    def roi_floor_text(self) -> str:
        """``roi_floor_source`` in the current language (from ``roi_floor_line``)."""
        if self.roi_floor_line is None:
            return self.roi_floor_source
        return _said([self.roi_floor_line], [self.roi_floor_source])[0]


def _said(lines: list[Line], stored: list[str]) -> list[str]:
    """The stored sentences, said again in the current language from their codes and
    figures; a plan recorded without them (or with figures of another shape) keeps its
    own words."""
    if len(lines) != len(stored):
        return list(stored)
    try:
        return [line_text(line) for line in lines]
    except (KeyError, IndexError, ValueError, TypeError):
        return list(stored)
