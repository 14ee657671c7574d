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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Self

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


class _ListingError(PlannerError):
    """A sentence, then one line per item it is about.

    It pickles whole (sentence and lines): it is raised in a watched child process or a
    batch worker and raised again in the parent, where an exception pickled by its
    ``args`` alone could not be made again.
    """

    def __init__(self, message: str, lines: Sequence[str]) -> None:
        self.message = message
        self.lines = list(lines)
        super().__init__(message + "".join(f"\n  - {line}" for line in self.lines))

    def __reduce__(self) -> tuple[type[Self], tuple[str, list[str]]]:
        return type(self), (self.message, self.lines)


class PortfolioError(_ListingError):
    """Some campaigns of a batch failed (the others were planned); ``failures`` lists them."""

    exit_code = 8

    @property
    def failures(self) -> list[str]:
        return self.lines


class PlanRuleError(_ListingError):
    """``planner check``: the plan breaks at least one rule; ``violations`` says each."""

    exit_code = 9

    @property
    def violations(self) -> list[str]:
        return self.lines


class UncheckedPlanError(_ListingError):
    """The planner made a plan that breaks its own rules: a bug; nothing is written.

    ``violations``: one line per broken rule, its code then its sentence.
    """

    exit_code = 1

    @property
    def violations(self) -> list[str]:
        return self.lines
