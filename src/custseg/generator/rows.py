"""The in-memory form of one chunk of one raw table: text columns plus planted bookkeeping."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.generator.config import STAGED, TABLE_COLUMNS


@dataclass
class Rows:
    """Rows of one raw table for one chunk.

    ``columns`` hold the text exactly as it will be written. ``fate`` holds, per row, the
    reject-reason code the dbt validation must assign (``STAGED`` for rows it keeps).
    ``aux`` holds integer side arrays (customer index, timestamps, file month, ...) that are
    never written but let the dirt injection and the truth bookkeeping work without parsing.
    """

    table: str
    columns: dict[str, pa.Array]
    aux: dict[str, np.ndarray] = field(default_factory=dict)
    fate: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int8))

    def __post_init__(self) -> None:
        expected = TABLE_COLUMNS[self.table]
        if tuple(self.columns) != expected:
            raise ValueError(f"{self.table}: columns {tuple(self.columns)} != {expected}")
        if len(self.fate) != len(self):
            self.fate = np.full(len(self), STAGED, dtype=np.int8)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values())))

    def take(self, indices: np.ndarray) -> Rows:
        """A new Rows with the given rows, in the given order."""
        taken = pa.array(indices, type=pa.int64())
        return Rows(
            table=self.table,
            columns={name: pc.take(values, taken) for name, values in self.columns.items()},
            aux={name: values[indices] for name, values in self.aux.items()},
            fate=self.fate[indices],
        )

    def append_copies(self, sources: np.ndarray) -> np.ndarray:
        """Append exact copies of the ``sources`` rows at the end; return the new row indices."""
        n = len(self)
        copies = self.take(sources)
        self.columns = {
            name: pa.concat_arrays([_flat(values), _flat(copies.columns[name])])
            for name, values in self.columns.items()
        }
        self.aux = {
            name: np.concatenate([values, copies.aux[name]]) for name, values in self.aux.items()
        }
        self.fate = np.concatenate([self.fate, copies.fate])
        return np.arange(n, n + len(sources))

    def slice(self, start: int, stop: int) -> Rows:
        """Rows ``start .. stop - 1`` without copying the text."""
        return Rows(
            table=self.table,
            columns={
                name: values.slice(start, stop - start) for name, values in self.columns.items()
            },
            aux={name: values[start:stop] for name, values in self.aux.items()},
            fate=self.fate[start:stop],
        )

    def set(self, column: str, indices: np.ndarray, values: pa.Array | Sequence[str]) -> None:
        """Overwrite ``column`` at ``indices`` with ``values`` (aligned with ``indices``)."""
        if len(indices) == 0:
            return
        values = values if isinstance(values, pa.Array) else pa.array(values, type=pa.string())
        order = np.argsort(indices, kind="stable")
        mask = np.zeros(len(self), dtype=bool)
        mask[indices] = True
        replacement = pc.take(values, pa.array(order, type=pa.int64()))
        self.columns[column] = pc.replace_with_mask(self.columns[column], mask, replacement)

    def column_where(self, column: str, mask: np.ndarray) -> pa.Array:
        """The values of one column in the rows where ``mask`` is true."""
        return pc.filter(self.columns[column], pa.array(mask))


def _flat(values: pa.Array | pa.ChunkedArray) -> pa.Array:
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
