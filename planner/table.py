"""A table of cells under named columns, without pandas.

What the readers pass up their layers (a buyer's sheet: its header texts, its cells, the
row numbers the buyer sees, what reading it said) and what the writers write (links.csv,
a workbook's extra sheets). ``planner plan`` never needs more than this, and importing
pandas would cost it a third of a second; the edges that do their maths or show their
tables with pandas (the app, the actuals, the store) take ``to_frame()``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from planner.errors import Problem

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True)
class Table:
    """Cells by column (``cells[j]`` holds column ``columns[j]`` top to bottom).

    ``numbers`` are the rows as the buyer numbers them in a spreadsheet (the header is
    row 1, so the first data row is 2 unless rows were skipped). Column labels may repeat
    in a sheet as read (the reader reports them); ``column`` gives the first.
    """

    columns: tuple[str, ...]
    cells: tuple[list[object], ...]
    numbers: tuple[int, ...]
    notes: tuple[str, ...] = ()  # what reading the file said (rows skipped, other sheets)
    from_excel: bool = False  # a workbook: an empty cell may be a merged one
    sources: Mapping[str, str] = field(default_factory=dict)  # column -> header as written
    # Required columns the file lacks, kept to be said with its bad cells.
    missing: tuple[Problem, ...] = ()

    @classmethod
    def from_rows(cls, columns: Iterable[str], rows: Sequence[Sequence[object]],
                  numbers: Iterable[int] | None = None) -> Table:
        """A table of ``rows`` (each as wide as ``columns``); numbered from row 2 without
        ``numbers``."""
        labels = tuple(columns)
        cells = tuple(list(column) for column in zip(*rows, strict=True)) if rows else tuple(
            [] for _ in labels)
        if len(cells) != len(labels):
            raise ValueError(f"{len(labels)} columns, rows of {len(cells)} cells")
        count = len(rows)
        return cls(labels, cells, tuple(range(2, count + 2)) if numbers is None
                   else tuple(numbers))

    @classmethod
    def from_records(cls, columns: Sequence[str],
                     records: Iterable[Mapping[str, object]]) -> Table:
        """A table of dicts: each row's value of each column, None where it has none."""
        rows = [[record.get(c) for c in columns] for record in records]
        return cls.from_rows(columns, rows)

    def __len__(self) -> int:
        return len(self.numbers)

    def column(self, name: str) -> list[object]:
        """The cells of the first column labelled ``name`` (KeyError when there is none)."""
        try:
            return self.cells[self.columns.index(name)]
        except ValueError:
            raise KeyError(name) from None

    def rows(self) -> Iterator[tuple[object, ...]]:
        """Each row's cells, left to right."""
        if not self.cells:
            return iter([() for _ in self.numbers])
        return zip(*self.cells, strict=True)

    def with_column(self, name: str, values: Sequence[object]) -> Table:
        """This table with column ``name`` holding ``values`` (added at the right when new)."""
        if len(values) != len(self):
            raise ValueError(f"{len(values)} values for {len(self)} rows")
        if name in self.columns:
            at = self.columns.index(name)
            cells = (*self.cells[:at], list(values), *self.cells[at + 1:])
            return dataclasses.replace(self, cells=cells)
        return dataclasses.replace(self, columns=(*self.columns, name),
                                   cells=(*self.cells, list(values)))

    def select(self, positions: Sequence[int], names: Sequence[str]) -> Table:
        """The columns at ``positions``, labelled ``names``."""
        return dataclasses.replace(self, columns=tuple(names),
                                   cells=tuple(list(self.cells[p]) for p in positions))

    def without_rows(self, numbers: Iterable[int]) -> Table:
        """This table without the rows numbered ``numbers``."""
        dropped = set(numbers)
        keep = [i for i, number in enumerate(self.numbers) if number not in dropped]
        return dataclasses.replace(
            self, numbers=tuple(self.numbers[i] for i in keep),
            cells=tuple([column[i] for i in keep] for column in self.cells))

    def replace(self, **changes: object) -> Table:
        """This table with other notes, sources, missing columns... (``dataclasses.replace``)."""
        return dataclasses.replace(self, **changes)  # type: ignore[arg-type]

    def to_frame(self) -> pd.DataFrame:
        """The table as a pandas frame of object columns, indexed by row number (for the
        edges that need pandas)."""
        import pandas as pd

        frame = pd.DataFrame(dict(enumerate(self.cells)), dtype=object) if self.cells \
            else pd.DataFrame(index=range(len(self)))
        frame.columns = pd.Index(list(self.columns), dtype=object)
        frame.index = pd.Index(list(self.numbers), dtype="int64", name="row")
        return frame
