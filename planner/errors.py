"""One exception tree for the planner.

    PlannerError                 exit code 1 unless a subclass says otherwise
    ├── InputError               bad videos / actuals / campaign file   -> exit 2
    │   └── ConfigError          bad campaign or rules config           -> exit 2
    ├── InfeasibleError          the campaign's rules cannot all hold   -> exit 3
    ├── SolverError              no backend could solve the model       -> exit 4
    ├── StoreError               history store locked by another run    -> exit 5
    │   ├── StoreDamagedError    the file is damaged or not a store     -> exit 6
    │   │   └── StoreReadOnlyError  the store (or its folder) is read-only -> exit 6
    │   └── StoreUnreachableError  its server down or unknown, login
    │                              refused, or the connection lost      -> exit 7
    ├── PortfolioError           ``planner batch``: some campaigns failed -> exit 8
    ├── PlanRuleError            ``planner check``: the plan breaks a rule -> exit 9
    └── UncheckedPlanError       the planner's own plan breaks a rule (a bug;
                                 nothing written)                       -> exit 1

Every message is written for a media buyer: which file, row and column, and
what to change. Front ends print ``TypeName: message`` and never a traceback.
The same words serve pydantic's validation errors: ``validation_problems`` for a
campaign file, ``value_message`` for one failed value (a table cell, a form row).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Self

from pydantic import BaseModel, ValidationError

from planner.i18n import LimitLike, limit_text, t


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, located as precisely as we can."""

    message: str
    file: str | None = None
    row: int | None = None  # 1-based row as the buyer sees it in a spreadsheet (header = row 1)
    column: str | None = None
    fix: str | None = None

    def __str__(self) -> str:
        # Said in the language current when it is rendered (InputError renders at
        # raise time, which is the CLI's --lang); the message and fix were worded
        # in the language current when the Problem was made.
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(t("error.row", row=self.row))
        if self.column:
            where.append(t("error.column", column=self.column))
        prefix = t("error.where_sep").join(where)
        text = t("error.where", where=prefix, message=self.message) if prefix else self.message
        if self.fix:
            text = t("error.with_fix", text=text, fix=self.fix)
        return text


class PlannerError(Exception):
    """Base class of every error the planner raises on purpose."""

    exit_code = 1


class InputError(PlannerError):
    """An input file or value cannot be used; lists every problem found."""

    exit_code = 2
    max_listed = 20

    def __init__(self, problems: list[Problem] | Problem | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        super().__init__(self._render())

    def _render(self) -> str:
        shown = [str(p) for p in self.problems[: self.max_listed]]
        more = len(self.problems) - len(shown)
        if more > 0:
            shown.append(t("error.more_problems", count=more))
        if len(shown) == 1:
            return shown[0]
        return (t("error.count", count=len(self.problems)) + "\n"
                + "\n".join(f"  - {s}" for s in shown))


class ConfigError(InputError):
    """The campaign file or rules config is invalid."""


class InfeasibleError(PlannerError):
    """The campaign's rules contradict each other; ``conflicts`` names them."""

    exit_code = 3

    def __init__(self, message: str, conflicts: list[str] | None = None) -> None:
        self.conflicts = conflicts or []
        text = message
        if self.conflicts:
            text += "\n" + "\n".join(f"  - {c}" for c in self.conflicts)
        super().__init__(text)

    @classmethod
    def of_limits(cls, campaign: str, short: Sequence[tuple[LimitLike, float]],
                  committed: float) -> InfeasibleError:
        """The optimiser's finding in words: each limit (code and figures) and how far
        buying nothing new already misses it, then what is committed."""
        conflicts = [t("error.infeasible.short", limit=limit_text(limit), amount=f"{amount:,.0f}")
                     for limit, amount in short]
        if committed:
            conflicts.append(t("error.infeasible.committed", amount=f"{committed:,.0f}"))
        return cls(t("error.infeasible", campaign=campaign), conflicts)


class SolverError(PlannerError):
    """No solver backend produced a usable answer."""

    exit_code = 4

    @classmethod
    def of(cls, code: str, **figures: object) -> Self:
        """The error for ``code`` (``error.solver.<code>`` in the catalogue), said here so
        the optimiser deals in codes and figures only."""
        return cls(t(f"error.solver.{code}", **figures))


class StoreError(PlannerError):
    """The history store is locked by another run or cannot be read."""

    exit_code = 5


class StoreUnreachableError(StoreError):
    """The history store's database server cannot be reached or refuses the login.

    Its own exit code, so a cron job can tell "try again later / fix the
    credentials" from "another run holds the lock" (5).
    """

    exit_code = 7


class StoreDamagedError(StoreError):
    """The history store is damaged, or what it names is not a planner store at all.

    Its own exit code: waiting and trying again (exit 5) cannot help; the buyer
    has to restore a backup or name another store.
    """

    exit_code = 6


class StoreReadOnlyError(StoreDamagedError):
    """The history store's file, or the folder SQLite keeps its journal in, is read-only.

    Exit 6 like a damaged store: waiting cannot help, and no plan is written that the
    store could not record.
    """


class PortfolioError(PlannerError):
    """Some campaigns of a batch failed (the others were planned); ``failures`` lists them."""

    exit_code = 8

    def __init__(self, message: str, failures: list[str]) -> None:
        self.failures = failures
        super().__init__(message + "".join(f"\n  - {f}" for f in failures))


class PlanRuleError(PlannerError):
    """``planner check``: the plan breaks at least one rule; ``violations`` says each."""

    exit_code = 9

    def __init__(self, message: str, violations: list[str]) -> None:
        self.violations = violations
        super().__init__(message + "".join(f"\n  - {v}" for v in violations))


class UncheckedPlanError(PlannerError):
    """The planner made a plan that breaks its own rules: a bug; nothing is written."""

    exit_code = 1

    def __init__(self, message: str, violations: list[str]) -> None:
        self.violations = violations
        super().__init__(message + "".join(f"\n  - {v}" for v in violations))


# ---------------------------------------------------------------- validation messages


def _known_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = getattr(current, "model_fields", {}).get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        candidates = [annotation, *args]
        current = next(
            (c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None
        )
        if current is None:
            return []
    return list(getattr(current, "model_fields", {}).keys())


def validation_problems(
    error: ValidationError, model: type[BaseModel], source: str
) -> list[Problem]:
    """Turn a pydantic error into buyer-readable problems with 'did you mean' hints."""
    problems: list[Problem] = []
    for item in error.errors():
        loc = tuple(item["loc"])
        path = ".".join(str(p) for p in loc) or t("error.config.top_level")
        if item["type"] == "extra_forbidden":
            key = str(loc[-1])
            close = difflib.get_close_matches(key, _known_keys(model, loc), n=1)
            hint = (t("error.config.did_you_mean", name=close[0]).strip() if close
                    else t("error.config.remove_key"))
            problems.append(Problem(t("error.config.unknown_key", key=path), file=source,
                                    fix=hint))
        else:
            msg, fix = value_message(item)
            text = t("error.sentence", text=msg if not loc else t("error.config.at_key",
                                                                    key=path, message=msg))
            problems.append(Problem(text, file=source, fix=fix))
    return problems


# Catalogue keys of the rule each bound states ("at least 0").
_BOUNDS = {"greater_than": "error.config.rule.greater_than",
           "greater_than_equal": "error.config.rule.greater_than_equal",
           "less_than": "error.config.rule.less_than",
           "less_than_equal": "error.config.rule.less_than_equal"}

# pydantic's own messages are English; the kinds a hand-edited file meets are said here.
_KINDS = {"float_parsing": "error.config.kind.number", "float_type": "error.config.kind.number",
          "int_parsing": "error.config.kind.whole", "int_type": "error.config.kind.whole",
          "int_from_float": "error.config.kind.whole", "bool_parsing": "error.config.kind.bool",
          "bool_type": "error.config.kind.bool", "string_type": "error.config.kind.text",
          "date_type": "error.config.kind.date", "date_parsing": "error.config.kind.date",
          "date_from_datetime_parsing": "error.config.kind.date",
          "dict_type": "error.config.kind.table", "model_type": "error.config.kind.table",
          "list_type": "error.config.kind.list", "tuple_type": "error.config.kind.list"}


def _either(options: list[str]) -> str:
    """'a', 'b' or 'c' (in the current language)."""
    quoted = [f"'{o}'" for o in options]
    if len(quoted) < 2:
        return "".join(quoted)
    return t("list.sep").join(quoted[:-1]) + t("error.or") + quoted[-1]


def value_message(item: Any) -> tuple[str, str]:
    """(message, fix) for one pydantic error on a value, in a buyer's words."""
    kind, ctx, given = item["type"], item.get("ctx") or {}, item.get("input")
    msg = str(item["msg"]).removeprefix("Value error, ")
    if kind == "missing":
        return t("error.config.missing"), t("error.config.missing_fix")
    if kind == "value_error" and isinstance(given, bool):
        # _no_yes_no_for_numbers: ``budget = true``.
        return msg, t("error.config.bool_fix")
    if kind in _BOUNDS:
        (limit,) = (v for k, v in ctx.items() if k in ("gt", "ge", "lt", "le"))
        rule = t(_BOUNDS[kind], limit=f"{limit:g}" if isinstance(limit, int | float) else limit)
        # The limit as pydantic wrote it ("0", "0.5"), the last word of its message.
        said = t(f"{_BOUNDS[kind]}.must", limit=msg.rsplit(" ", 1)[-1])
        shown = (t("error.config.given_not_allowed", given=repr(given)) if given is not None
                 else t("error.config.not_allowed"))
        return t("error.config.bound", shown=shown, rule=said), t("error.config.write_value",
                                                                   rule=rule)
    if kind == "enum":
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        close = difflib.get_close_matches(str(given), options, n=1)
        hint = t("error.config.did_you_mean", name=close[0]) if close else ""
        return t("error.config.enum", given=repr(given), options=_either(options)), (
            hint + t("error.fix.use_one_of", accepted=t("list.sep").join(options))
        )
    if kind in _KINDS:
        return t("error.config.kind", given=repr(given), kind=t(_KINDS[kind])), t(
            "error.config.correct_value")
    if kind == "value_error":
        return msg, t("error.config.correct_value")  # a validator's own words, translated
    return t("error.config.invalid", detail=msg), t("error.config.correct_value")
