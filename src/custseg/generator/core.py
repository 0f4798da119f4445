"""Orchestration: chunks of customers in, raw export files and truth out."""

from __future__ import annotations

import json
import math
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TextIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.generator import config as cfg
from custseg.generator.dirt import dirty_campaigns, inject
from custseg.generator.drops import export_state_changes
from custseg.generator.rows import Rows
from custseg.generator.world import (
    Horizon,
    IdCounters,
    build_campaigns,
    build_catalog,
    month_index,
    simulate_chunk,
)
from custseg.generator.writer import ExportWriter, append_truth, clear_truth

DEFAULT_END_DATE = date(2026, 10, 31)
DEFAULT_CHUNK_SIZE = 50_000

# independent random streams, so that e.g. dirt never shifts the clean world
_STREAM_CATALOG, _STREAM_CAMPAIGNS, _STREAM_WORLD, _STREAM_DIRT = 1, 2, 3, 4


@dataclass(frozen=True)
class Options:
    """Everything that determines the output (all of it, apart from the paths, is recorded)."""

    customers: int
    seed: int
    out: Path
    truth_dir: Path
    end_date: date = DEFAULT_END_DATE
    layout: str = "mixed"
    dirt: bool = True
    chunk_size: int = DEFAULT_CHUNK_SIZE


def make_rng(seed: int, *stream: int) -> np.random.Generator:
    """A generator for one named stream of one seed (independent of everything else)."""
    return np.random.default_rng(np.random.SeedSequence(seed, spawn_key=stream))


def horizon_for(end_date: date) -> Horizon:
    """About two years of history ending at ``end_date`` 23:59:59 UTC."""
    end = datetime.combine(end_date, datetime.min.time(), tzinfo=UTC)
    start = end - timedelta(days=cfg.HISTORY_DAYS)
    return Horizon(start=int(start.timestamp()), end=int(end.timestamp()) + cfg.DAY - 1)


class Tally:
    """Row counts per table and reason, and the repair counts over staged rows."""

    def __init__(self) -> None:
        self.raw: Counter[str] = Counter()
        self.reasons: dict[str, Counter[str]] = {table: Counter() for table in cfg.TABLES}
        self.repairs: Counter[str] = Counter()
        self.opt_in: Counter[str] = Counter()
        self._ordering = np.zeros(0, dtype=np.int64)

    def add_rows(self, rows: Rows) -> None:
        """Count the planted fate of every row."""
        self.raw[rows.table] += len(rows)
        codes = np.bincount(rows.fate, minlength=len(cfg.REASONS))
        for code, count in enumerate(codes):
            if count:
                self.reasons[rows.table][cfg.REASONS[code]] += int(count)

    def add_repairs(self, tables: dict[str, Rows]) -> None:
        """Count messy-but-valid values among the staged rows of a group of tables.

        Groups of one chunk must arrive in simulation order (orders before CRM), because the
        customers with staged orders but no staged CRM row are counted when CRM arrives.
        """
        if "shop_orders" in tables:
            orders = tables["shop_orders"]
            staged = orders.fate == cfg.STAGED
            status = orders.column_where("status", staged)
            self.repairs["order_status_messy"] += _count(
                pc.not_equal(status, pc.utf8_lower(pc.utf8_trim_whitespace(status)))
            )
            currency = orders.column_where("currency", staged)
            self.repairs["currency_messy"] += _count(
                pc.not_equal(currency, pc.utf8_upper(pc.utf8_trim_whitespace(currency)))
            )
            channel = pc.fill_null(orders.column_where("sales_channel", staged), "")
            self.repairs["blank_sales_channel"] += _count(
                pc.equal(pc.utf8_trim_whitespace(channel), "")
            )
            self._ordering = np.unique(orders.aux["customer"][staged])
        if "crm_customers" in tables:
            crm = tables["crm_customers"]
            staged = crm.fate == cfg.STAGED
            email = crm.column_where("email", staged)
            self.repairs["email_messy"] += _count(
                pc.not_equal(email, pc.utf8_lower(pc.utf8_trim_whitespace(email)))
            )
            opt_in = pc.value_counts(crm.column_where("marketing_opt_in", staged))
            for entry in opt_in.to_pylist():
                self.opt_in[entry["values"]] += entry["counts"]
            in_crm = np.unique(crm.aux["customer"][staged])
            missing = np.setdiff1d(self._ordering, in_crm)
            self.repairs["order_customers_missing_from_crm"] += len(missing)
        for key in cfg.UNMAPPED_VALUES:
            table, column = key.split(".")
            if table not in tables:
                continue
            rows = tables[table]
            values = rows.column_where(column, rows.fate == cfg.STAGED)
            known = pa.array(_vocabulary(key), type=pa.string())
            normalised = pc.utf8_lower(pc.utf8_trim_whitespace(values))
            self.repairs[key] += _count(pc.invert(pc.is_in(normalised, value_set=known)))

    def report(self, options: Options) -> dict:
        """The ``dirt.json`` document."""
        tables = {}
        for table in cfg.TABLES:
            reasons = self.reasons[table]
            unexpected = set(reasons) - {"staged", *cfg.TABLE_REASONS[table]}
            if unexpected:
                raise AssertionError(f"{table}: unexpected reasons {sorted(unexpected)}")
            rejected = {
                reason: reasons[reason] for reason in cfg.TABLE_REASONS[table] if reasons[reason]
            }
            tables[table] = {
                "raw_rows": self.raw[table],
                "staged_rows": reasons["staged"],
                "rejected": rejected,
            }
        unmapped = {key: self.repairs[key] for key in cfg.UNMAPPED_VALUES}
        return {
            "generator": {
                "customers": options.customers,
                "seed": options.seed,
                "end_date": options.end_date.isoformat(),
                "layout": options.layout,
            },
            "tables": tables,
            "repairs": {
                "order_status_messy": self.repairs["order_status_messy"],
                "currency_messy": self.repairs["currency_messy"],
                "email_messy": self.repairs["email_messy"],
                "blank_sales_channel": self.repairs["blank_sales_channel"],
                "unmapped": unmapped,
                "opt_in_raw_values": dict(sorted(self.opt_in.items())),
                "order_customers_missing_from_crm": self.repairs[
                    "order_customers_missing_from_crm"
                ],
            },
        }


def _count(mask) -> int:
    return int(pc.sum(pc.cast(pc.fill_null(mask, True), "int64")).as_py() or 0)


def _vocabulary(key: str) -> list[str]:
    return {
        "web_events.event_type": list(cfg.WEB_EVENT_TYPES),
        "web_events.traffic_source": list(cfg.TRAFFIC_SOURCES),
        "web_events.device_type": list(cfg.DEVICE_TYPES),
        "support_tickets.topic": list(cfg.TICKET_TOPICS),
        "marketing_events.event_type": list(cfg.MARKETING_EVENT_TYPES),
    }[key]


def generate(options: Options, progress: TextIO | None = sys.stderr) -> dict:
    """Write the raw exports and the truth; return the ``dirt.json`` document.

    The output is a pure function of ``options``: every chunk draws from its own random
    stream seeded from (seed, chunk index), and id counters run in chunk order.
    """
    if options.customers < 1:
        raise ValueError("customers must be at least 1")
    if options.seed < 0:
        raise ValueError("seed must be non-negative")
    if options.chunk_size < 1:
        raise ValueError("chunk_size must be at least 1")
    horizon = horizon_for(options.end_date)
    mixed = options.layout == "mixed"
    last_month = int(month_index(np.array([horizon.end]))[0])
    writer = ExportWriter(options.out, options.layout)
    writer.clear()
    clear_truth(options.truth_dir)

    catalog = build_catalog(make_rng(options.seed, _STREAM_CATALOG))
    campaigns = build_campaigns(
        make_rng(options.seed, _STREAM_CAMPAIGNS), horizon.start, horizon.end
    )
    campaign_rows = campaigns.rows.take(np.arange(len(campaigns.rows)))
    if options.dirt:
        dirty_campaigns(campaign_rows, make_rng(options.seed, _STREAM_DIRT))
    tally = Tally()
    tally.add_rows(campaign_rows)
    writer.write(campaign_rows, part=0)

    counters = IdCounters()
    salt = int(np.random.SeedSequence(options.seed).generate_state(2, dtype=np.uint64)[0])
    n_chunks = math.ceil(options.customers / options.chunk_size)
    started = time.perf_counter()  # only for the progress lines, never for the data
    for chunk in range(n_chunks):
        first = chunk * options.chunk_size
        count = min(options.chunk_size, options.customers - first)
        truth, groups = simulate_chunk(
            make_rng(options.seed, _STREAM_WORLD, chunk),
            first,
            count,
            horizon,
            catalog,
            campaigns,
            counters,
            salt,
        )
        append_truth(options.truth_dir, truth, first=chunk == 0)
        dirt_rng = make_rng(options.seed, _STREAM_DIRT, chunk)
        for group in groups:
            if mixed:
                export_state_changes(group, last_month)
            if options.dirt:
                inject(group, dirt_rng, mixed, last_month, campaigns.campaign_id)
            for rows in group.values():
                tally.add_rows(rows)
                writer.write(rows, part=chunk)
            tally.add_repairs(group)
            del group, rows
            pa.default_memory_pool().release_unused()
        if progress is not None and n_chunks > 1:
            orders = tally.raw["shop_orders"]
            print(
                f"chunk {chunk + 1}/{n_chunks}: {first + count} customers, "
                f"{orders / 1e6:.1f}M orders written, {time.perf_counter() - started:.1f}s",
                file=progress,
                flush=True,
            )
    report = tally.report(options)
    with (options.truth_dir / "dirt.json").open("w", encoding="utf-8") as handle:
        json.dump(report, handle, indent=2)
        handle.write("\n")
    return report
