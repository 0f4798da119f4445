"""Appending chunks of rows to the raw export files in the chosen layout."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from custseg.generator import formatting as fmt
from custseg.generator.config import TABLE_COLUMNS, TABLES
from custseg.generator.rows import Rows
from custseg.generator.world import month_name

LAYOUTS = ("mixed", "flat")
MONTHLY_FOLDERS = ("shop_orders", "support_tickets")  # tables written as monthly drops
WEB_FOLDER = "web_events"
CSV_BATCH_ROWS = 100_000  # rows rendered to CSV text at once (bounds the transient memory)


class ExportWriter:
    """Writes raw tables chunk by chunk.

    ``mixed``: ``shop_orders/YYYY-MM.csv`` and ``support_tickets/YYYY-MM.csv`` monthly drops
    (a row goes to the drop of its ``file_key`` month; the dbt project reads the month as the
    date its rows became known), ``web_events/part-NNNNN.parquet`` (one part per chunk, all
    columns strings) and one CSV per other table. ``flat``: one CSV
    per table. Files are only ever appended to, so memory stays bounded by one chunk.
    """

    def __init__(self, out: Path, layout: str):
        if layout not in LAYOUTS:
            raise ValueError(f"layout must be one of {LAYOUTS}, not {layout!r}")
        self.out = out
        self.layout = layout
        self._started: set[Path] = set()

    def clear(self) -> None:
        """Remove earlier output of the generator (only the files and folders it writes)."""
        self.out.mkdir(parents=True, exist_ok=True)
        for folder in (*MONTHLY_FOLDERS, WEB_FOLDER):
            if (self.out / folder).is_dir():
                shutil.rmtree(self.out / folder)
        for table in TABLES:
            (self.out / f"{table}.csv").unlink(missing_ok=True)
        if self.layout == "mixed":
            for folder in (*MONTHLY_FOLDERS, WEB_FOLDER):
                (self.out / folder).mkdir()

    def write(self, rows: Rows, part: int) -> None:
        """Append one chunk of one table; ``part`` numbers the Parquet part files."""
        if self.layout == "mixed" and rows.table in MONTHLY_FOLDERS:
            by_month = rows.take(np.argsort(rows.aux["file_key"], kind="stable"))
            keys = by_month.aux["file_key"]
            for key in np.unique(keys):
                start, stop = (
                    np.searchsorted(keys, key, "left"),
                    np.searchsorted(keys, key, "right"),
                )
                subset = by_month.slice(int(start), int(stop))
                self._append_csv(self.out / rows.table / f"{month_name(key)}.csv", subset)
        elif self.layout == "mixed" and rows.table == "web_events":
            table = pa.table(rows.columns)
            path = self.out / WEB_FOLDER / f"part-{part:05d}.parquet"
            pq.write_table(table, path, compression="zstd")
        else:
            self._append_csv(self.out / f"{rows.table}.csv", rows)

    def _append_csv(self, path: Path, rows: Rows) -> None:
        first = path not in self._started
        self._started.add(path)
        with path.open("wb" if first else "ab") as handle:
            if first:
                handle.write(fmt.csv_header(TABLE_COLUMNS[rows.table]))
            for start in range(0, len(rows), CSV_BATCH_ROWS):
                batch = rows.slice(start, min(start + CSV_BATCH_ROWS, len(rows)))
                handle.write(fmt.csv_bytes(list(batch.columns.values())))


def clear_truth(truth_dir: Path) -> None:
    """Remove earlier truth files of the generator."""
    truth_dir.mkdir(parents=True, exist_ok=True)
    for name in ("customers.csv", "dirt.json"):
        (truth_dir / name).unlink(missing_ok=True)


def append_truth(truth_dir: Path, truth: pa.Table, first: bool) -> None:
    """Append (customer_id, persona) rows to ``customers.csv``."""
    with (truth_dir / "customers.csv").open("wb" if first else "ab") as handle:
        if first:
            handle.write(fmt.csv_header(truth.column_names))
        handle.write(fmt.csv_bytes([column.combine_chunks() for column in truth.columns]))
