"""Planting realistic dirt into clean rows, recording the reject reason every row must get.

Each defect goes into rows of its own (never two defects in one row), either by modifying a
clean row in place or by appending a modified copy. The planted reason is stored in
``Rows.fate`` and follows the validation precedence of the dbt project, so the counts in
``dirt.json`` are exact. Rows that later rows win against in deduplication get ``duplicate``
or ``superseded``; the winning copy is always appended after the row it replaces.

Monthly drops (``mixed`` layout: orders and tickets) are point in time: each drop date keeps
its own version of a row. A state change re-exported in a later drop (an order completed,
returned in the next month's drop; a ticket exported open, resolved in the next drop) is
therefore a second staged version, not a ``superseded`` row; only a change within one drop
is. An unchanged copy in a later drop is the ``duplicate`` (the earlier row is the version).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.generator import config as cfg
from custseg.generator import formatting as fmt
from custseg.generator.rows import Rows
from custseg.generator.world import render_timestamps

_CODE = cfg.REASON_CODE
# future instants stay within the year even when rendered as local time with an offset
_FUTURE_START = int(np.datetime64(f"{cfg.FUTURE_YEAR}-01-02", "s").astype(np.int64))
_FUTURE_SPAN = 360 * cfg.DAY
_MIN_ROWS = 100  # tables smaller than this in a chunk stay clean


def dirt_count(rng: np.random.Generator, n_rows: int, rate: float) -> int:
    """How many rows of a chunk's table receive a defect (binomial, at least one)."""
    if n_rows < _MIN_ROWS:
        return 0
    return max(1, int(rng.binomial(n_rows, rate)))


class Picker:
    """Draws disjoint sets of clean rows, so that no row receives two defects."""

    def __init__(self, rng: np.random.Generator, n_rows: int, used: np.ndarray | None = None):
        self.rng = rng
        self.n_rows = n_rows
        self.used = np.zeros(n_rows, dtype=bool) if used is None else used.copy()

    def pick(self, rate: float, eligible: np.ndarray | None = None) -> np.ndarray:
        """Sorted indices of about ``rate * n_rows`` unused (and eligible) rows."""
        free = ~self.used if eligible is None else (~self.used & eligible[: self.n_rows])
        candidates = np.flatnonzero(free)
        size = min(dirt_count(self.rng, self.n_rows, rate), len(candidates))
        chosen = np.sort(self.rng.choice(candidates, size=size, replace=False))
        self.used[chosen] = True
        return chosen


def _choice(rng: np.random.Generator, options: tuple[str, ...], n: int) -> pa.Array:
    return fmt.pick(options, rng.integers(0, len(options), n))


def _non_blank(options: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(option for option in options if option.strip())


def _halves(rng: np.random.Generator, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Split indices at random into two parts (each keeps its sorted order)."""
    first = rng.random(len(indices)) < 0.5
    return indices[first], indices[~first]


def future_timestamps(rng: np.random.Generator, seconds: np.ndarray) -> pa.Array:
    """The same time of year, moved into ``FUTURE_YEAR``."""
    return render_timestamps(rng, _FUTURE_START + np.asarray(seconds) % _FUTURE_SPAN)


def _mark(rows: Rows, indices: np.ndarray, reason: str) -> None:
    rows.fate[indices] = _CODE[reason]


# ---------------------------------------------------------------------------------------------
# per table
# ---------------------------------------------------------------------------------------------


def _state_changes(
    rows: Rows,
    rng: np.random.Generator,
    earlier: np.ndarray,
    finals: np.ndarray,
    movable: np.ndarray | None,
) -> None:
    """Mark rows re-exported with a new state (``finals`` are the appended new states).

    With monthly drops (``movable`` given: rows not in the last month's drop), half of the
    new states move to the next month's drop, which makes the earlier row a staged version
    of its own; the other half change within one drop, so the earlier row is ``superseded``.
    """
    within_drop = np.ones(len(earlier), dtype=bool)
    if movable is not None:
        within_drop = ~(movable[earlier] & (rng.random(len(earlier)) < 0.5))
        rows.aux["file_key"][finals[~within_drop]] += 1
    _mark(rows, earlier[within_drop], "superseded")


def _duplicates(
    rows: Rows, rng: np.random.Generator, duplicated: np.ndarray, movable: np.ndarray | None
) -> np.ndarray:
    """Append exact copies of ``duplicated``; return the copies' indices.

    With monthly drops, half of the copies of movable rows go to the next month's drop: an
    unchanged re-export, so the later copy is the ``duplicate`` and the original the version.
    """
    copies = rows.append_copies(duplicated)
    later = np.zeros(len(duplicated), dtype=bool)
    if movable is not None:
        later = movable[duplicated] & (rng.random(len(duplicated)) < 0.5)
        rows.aux["file_key"][copies[later]] += 1
    _mark(rows, duplicated[~later], "duplicate")
    _mark(rows, copies[later], "duplicate")
    return copies


def _movable(rows: Rows, mixed: bool, last_month: int) -> np.ndarray | None:
    """Rows whose re-export may go to the next monthly drop (None without monthly drops)."""
    return rows.aux["file_key"] < last_month if mixed else None


def dirty_orders(rows: Rows, rng: np.random.Generator, mixed: bool, last_month: int) -> None:
    """Orders: status changes re-exported, duplicates, rejects and messy-but-valid values."""
    rates = cfg.DIRT_RATES["shop_orders"]
    picker = Picker(rng, len(rows), used=rows.aux.get("reserved"))
    status = rows.aux["status"]
    movable = _movable(rows, mixed, last_month)

    # status changes: an earlier export with the previous status (pending, then completed;
    # completed, then returned); the row with the new status comes later
    changed = picker.pick(rates["superseded"], np.isin(status, (0, 2)))
    finals = rows.append_copies(changed)
    previous = np.where(status[changed] == 0, "pending", "completed")
    rows.set("status", changed, previous.tolist())
    _state_changes(rows, rng, changed, finals, movable)

    # duplicates: the same order exported again, sometimes in the next monthly drop and with
    # the timestamp rendered in another (equivalent) form
    duplicated = picker.pick(rates["duplicate"])
    copies = _duplicates(rows, rng, duplicated, movable)
    reform = copies[rng.random(len(copies)) < 0.5]
    rows.set(
        "ordered_at",
        reform,
        fmt.timestamps(
            rows.aux["ts"][reform], (rows.aux["form"][reform] + 1) % 3, rows.aux["offset"][reform]
        ),
    )

    missing = picker.pick(rates["missing_key"])
    blank_order, blank_customer = _halves(rng, missing)
    rows.set("order_id", blank_order, _choice(rng, cfg.BLANK_VALUES, len(blank_order)))
    rows.set("customer_id", blank_customer, _choice(rng, cfg.BLANK_VALUES, len(blank_customer)))
    _mark(rows, missing, "missing_key")

    bad_time = picker.pick(rates["unparseable_timestamp"])
    rows.set("ordered_at", bad_time, _choice(rng, cfg.BAD_TIMESTAMPS, len(bad_time)))
    _mark(rows, bad_time, "unparseable_timestamp")

    future = picker.pick(rates["future_timestamp"])
    rows.set("ordered_at", future, future_timestamps(rng, rows.aux["ts"][future]))
    _mark(rows, future, "future_timestamp")

    bad_amount = picker.pick(rates["unparseable_amount"])
    bad_total, bad_discount = _halves(rng, bad_amount)
    rows.set("order_total", bad_total, _choice(rng, cfg.BAD_AMOUNTS, len(bad_total)))
    rows.set(
        "discount_total",
        bad_discount,
        _choice(rng, _non_blank(cfg.BAD_AMOUNTS), len(bad_discount)),
    )
    _mark(rows, bad_amount, "unparseable_amount")

    negative = picker.pick(rates["negative_amount"])
    negative_total, negative_discount = _halves(rng, negative)
    rows.set(
        "order_total",
        negative_total,
        fmt.money(-np.maximum(rows.aux["total"][negative_total], 100)),
    )
    rows.set(
        "discount_total",
        negative_discount,
        fmt.money(-np.maximum(rows.aux["discount"][negative_discount], 50)),
    )
    _mark(rows, negative, "negative_amount")

    currency = picker.pick(rates["unknown_currency"])
    rows.set("currency", currency, _choice(rng, cfg.UNKNOWN_CURRENCIES, len(currency)))
    _mark(rows, currency, "unknown_currency")

    # repairs: valid rows with messy values the staging must clean, not reject
    messy_status = picker.pick(rates["order_status_messy"], np.isin(status, (0, 2)))
    variants = [
        cfg.MESSY_STATUS["completed" if code == 0 else "returned"] for code in status[messy_status]
    ]
    rows.set(
        "status",
        messy_status,
        [options[int(rng.integers(0, len(options)))] for options in variants],
    )
    messy_currency = picker.pick(rates["currency_messy"])
    clean = rows.columns["currency"].take(pa.array(messy_currency, type=pa.int64()))
    variant = rng.integers(0, 4, len(messy_currency))
    styled = pc.choose(
        pa.array(variant, type=pa.int8()),
        pc.utf8_lower(clean),
        fmt.concat(" ", pc.utf8_lower(clean)),
        fmt.concat(clean, " "),
        pc.utf8_title(clean),
    )
    rows.set("currency", messy_currency, styled)
    blank_channel = picker.pick(rates["blank_sales_channel"])
    rows.set("sales_channel", blank_channel, [""] * len(blank_channel))


def dirty_items(items: Rows, orders: Rows, rng: np.random.Generator) -> None:
    """Items: orphans of rejected orders, plus duplicates and item-level rejects."""
    rates = cfg.DIRT_RATES["shop_order_items"]
    order_fate = orders.fate[items.aux["order_row"]]
    kept = (order_fate == cfg.STAGED) | (order_fate == _CODE["duplicate"])
    kept |= order_fate == _CODE["superseded"]
    items.fate[~kept] = _CODE["orphan"]
    picker = Picker(rng, len(items), used=~kept)

    duplicated = picker.pick(rates["duplicate"])
    items.append_copies(duplicated)
    _mark(items, duplicated, "duplicate")

    missing = picker.pick(rates["missing_key"])
    blank_order = missing[rng.random(len(missing)) < 0.3]
    blank_product = np.setdiff1d(missing, blank_order)
    items.set("order_id", blank_order, _choice(rng, cfg.BLANK_VALUES, len(blank_order)))
    items.set("product_id", blank_product, _choice(rng, cfg.BLANK_VALUES, len(blank_product)))
    _mark(items, missing, "missing_key")

    bad_amount = picker.pick(rates["unparseable_amount"])
    bad_price, bad_quantity = _halves(rng, bad_amount)
    items.set("unit_price", bad_price, _choice(rng, cfg.BAD_AMOUNTS, len(bad_price)))
    items.set("quantity", bad_quantity, _choice(rng, cfg.BAD_QUANTITIES, len(bad_quantity)))
    _mark(items, bad_amount, "unparseable_amount")

    negative = picker.pick(rates["negative_amount"])
    items.set("unit_price", negative, fmt.money(-np.maximum(items.aux["unit_price"][negative], 1)))
    _mark(items, negative, "negative_amount")

    out_of_range = picker.pick(rates["out_of_range"])
    items.set("quantity", out_of_range, _choice(rng, ("0", "-1"), len(out_of_range)))
    _mark(items, out_of_range, "out_of_range")


def dirty_crm(rows: Rows, rng: np.random.Generator) -> None:
    """CRM: rejected rows arrive as extra, broken copies, so no customer loses its record."""
    rates = cfg.DIRT_RATES["crm_customers"]
    picker = Picker(rng, len(rows))
    cities = [name for country in cfg.COUNTRIES for name in country[3]]

    duplicated = picker.pick(rates["duplicate"])
    rows.append_copies(duplicated)
    _mark(rows, duplicated, "duplicate")

    superseded = picker.pick(rates["superseded"])
    corrections = rows.append_copies(superseded)
    moved = (rows.aux["city"][superseded] + rng.integers(1, 5, len(superseded))) % 5
    rows.set("city", corrections, fmt.pick(cities, rows.aux["country"][superseded] * 5 + moved))
    _mark(rows, superseded, "superseded")

    missing = rows.append_copies(picker.pick(rates["missing_key"]))
    rows.set("customer_id", missing, _choice(rng, cfg.BLANK_VALUES, len(missing)))
    _mark(rows, missing, "missing_key")

    bad_time = rows.append_copies(picker.pick(rates["unparseable_timestamp"]))
    column = rng.integers(0, 3, len(bad_time))
    bad_stamps = _non_blank(cfg.BAD_TIMESTAMPS)
    for code, name in enumerate(("updated_at", "signup_at")):
        chosen = bad_time[column == code]
        rows.set(name, chosen, _choice(rng, bad_stamps, len(chosen)))
    chosen = bad_time[column == 2]
    rows.set("birth_date", chosen, _choice(rng, cfg.BAD_DATES, len(chosen)))
    _mark(rows, bad_time, "unparseable_timestamp")

    future = rows.append_copies(picker.pick(rates["future_timestamp"]))
    future_updated, future_signup = _halves(rng, future)
    rows.set("updated_at", future_updated, future_timestamps(rng, rows.aux["ts"][future_updated]))
    rows.set("signup_at", future_signup, future_timestamps(rng, rows.aux["signup"][future_signup]))
    _mark(rows, future, "future_timestamp")

    out_of_range = rows.append_copies(picker.pick(rates["out_of_range"]))
    too_old = rng.random(len(out_of_range)) < 0.5
    years = np.where(too_old, rng.integers(1850, 1900, len(out_of_range)), cfg.FUTURE_YEAR - 9)
    months = rng.integers(1, 13, len(years))
    birth = [f"{year}-{month:02d}-15" for year, month in zip(years, months, strict=True)]
    rows.set("birth_date", out_of_range, birth)
    _mark(rows, out_of_range, "out_of_range")

    messy = picker.pick(rates["email_messy"])
    email = rows.columns["email"].take(pa.array(messy, type=pa.int64()))
    variant = rng.integers(0, 3, len(messy))
    styled = pc.choose(
        pa.array(variant, type=pa.int8()),
        pc.utf8_title(email),
        pc.utf8_upper(email),
        fmt.concat(" ", email, " "),
    )
    rows.set("email", messy, styled)


def dirty_web_events(rows: Rows, rng: np.random.Generator) -> None:
    """Web events: re-sent and corrected events, rejects and unmapped categories."""
    rates = cfg.DIRT_RATES["web_events"]
    picker = Picker(rng, len(rows))

    duplicated = picker.pick(rates["duplicate"])
    rows.append_copies(duplicated)
    _mark(rows, duplicated, "duplicate")

    superseded = picker.pick(rates["superseded"])
    corrections = rows.append_copies(superseded)
    device = (rows.aux["device"][superseded] + rng.integers(1, 3, len(superseded))) % 3
    rows.set("device_type", corrections, fmt.pick(cfg.DEVICE_TYPES, device))
    _mark(rows, superseded, "superseded")

    missing = picker.pick(rates["missing_key"])
    blank_event, anonymous = _halves(rng, missing)
    rows.set("event_id", blank_event, _choice(rng, cfg.BLANK_VALUES, len(blank_event)))
    rows.set("anonymous_id", anonymous, _choice(rng, cfg.BLANK_VALUES, len(anonymous)))
    rows.set("customer_id", anonymous, _choice(rng, cfg.BLANK_VALUES, len(anonymous)))
    _mark(rows, missing, "missing_key")

    bad_time = picker.pick(rates["unparseable_timestamp"])
    rows.set("event_at", bad_time, _choice(rng, cfg.BAD_TIMESTAMPS, len(bad_time)))
    _mark(rows, bad_time, "unparseable_timestamp")

    future = picker.pick(rates["future_timestamp"])
    rows.set("event_at", future, future_timestamps(rng, rows.aux["ts"][future]))
    _mark(rows, future, "future_timestamp")

    for column in ("event_type", "traffic_source", "device_type"):
        chosen = picker.pick(rates[f"unmapped_{column}"])
        value = cfg.UNMAPPED_VALUES[f"web_events.{column}"]
        rows.set(column, chosen, [value] * len(chosen))


def dirty_tickets(rows: Rows, rng: np.random.Generator, mixed: bool, last_month: int) -> None:
    """Tickets: exported while open and again when resolved, rejects, unmapped topics."""
    rates = cfg.DIRT_RATES["support_tickets"]
    picker = Picker(rng, len(rows), used=rows.aux.get("reserved"))
    resolved = ~rows.aux["open"]
    movable = _movable(rows, mixed, last_month)

    opened = picker.pick(rates["superseded"], resolved)
    finals = rows.append_copies(opened)
    rows.set("resolved_at", opened, pa.nulls(len(opened), pa.string()))
    rows.set("satisfaction_score", opened, pa.nulls(len(opened), pa.string()))
    _state_changes(rows, rng, opened, finals, movable)

    _duplicates(rows, rng, picker.pick(rates["duplicate"]), movable)

    missing = picker.pick(rates["missing_key"])
    blank_ticket, blank_customer = _halves(rng, missing)
    rows.set("ticket_id", blank_ticket, _choice(rng, cfg.BLANK_VALUES, len(blank_ticket)))
    rows.set("customer_id", blank_customer, _choice(rng, cfg.BLANK_VALUES, len(blank_customer)))
    _mark(rows, missing, "missing_key")

    bad_time = picker.pick(rates["unparseable_timestamp"])
    bad_created, bad_resolved = _halves(rng, bad_time)
    rows.set("created_at", bad_created, _choice(rng, cfg.BAD_TIMESTAMPS, len(bad_created)))
    rows.set(
        "resolved_at",
        bad_resolved,
        _choice(rng, _non_blank(cfg.BAD_TIMESTAMPS), len(bad_resolved)),
    )
    _mark(rows, bad_time, "unparseable_timestamp")

    future = picker.pick(rates["future_timestamp"])
    rows.set("created_at", future, future_timestamps(rng, rows.aux["ts"][future]))
    rows.set("resolved_at", future, pa.nulls(len(future), pa.string()))
    rows.set("satisfaction_score", future, pa.nulls(len(future), pa.string()))
    _mark(rows, future, "future_timestamp")

    out_of_range = picker.pick(rates["out_of_range"])
    backwards = out_of_range[resolved[out_of_range] & (rng.random(len(out_of_range)) < 0.5)]
    bad_score = np.setdiff1d(out_of_range, backwards)
    before = rows.aux["ts"][backwards] - rng.integers(3600, 3 * cfg.DAY, len(backwards))
    rows.set("resolved_at", backwards, render_timestamps(rng, before))
    rows.set("satisfaction_score", bad_score, _choice(rng, cfg.BAD_SATISFACTION, len(bad_score)))
    _mark(rows, out_of_range, "out_of_range")

    topic = picker.pick(rates["unmapped_topic"])
    rows.set("topic", topic, [cfg.UNMAPPED_VALUES["support_tickets.topic"]] * len(topic))


def dirty_marketing_events(rows: Rows, rng: np.random.Generator, campaign_ids: np.ndarray) -> None:
    """Marketing events: exact duplicates, rejects, unknown campaigns, unmapped types."""
    rates = cfg.DIRT_RATES["marketing_events"]
    picker = Picker(rng, len(rows))

    duplicated = picker.pick(rates["duplicate"])
    rows.append_copies(duplicated)
    _mark(rows, duplicated, "duplicate")

    missing = picker.pick(rates["missing_key"])
    blank_campaign, blank_customer = _halves(rng, missing)
    rows.set("campaign_id", blank_campaign, _choice(rng, cfg.BLANK_VALUES, len(blank_campaign)))
    rows.set("customer_id", blank_customer, _choice(rng, cfg.BLANK_VALUES, len(blank_customer)))
    _mark(rows, missing, "missing_key")

    bad_time = picker.pick(rates["unparseable_timestamp"])
    rows.set("event_at", bad_time, _choice(rng, cfg.BAD_TIMESTAMPS, len(bad_time)))
    _mark(rows, bad_time, "unparseable_timestamp")

    future = picker.pick(rates["future_timestamp"])
    rows.set("event_at", future, future_timestamps(rng, rows.aux["ts"][future]))
    _mark(rows, future, "future_timestamp")

    orphan = picker.pick(rates["orphan"])
    unknown = np.setdiff1d(np.arange(1, 1000), campaign_ids)
    rows.set("campaign_id", orphan, fmt.digits(rng.choice(unknown, len(orphan)), 4))
    _mark(rows, orphan, "orphan")

    unmapped = picker.pick(rates["unmapped_event_type"])
    value = cfg.UNMAPPED_VALUES["marketing_events.event_type"]
    rows.set("event_type", unmapped, [value] * len(unmapped))


def dirty_campaigns(rows: Rows, rng: np.random.Generator) -> None:
    """Campaigns stay clean except one campaign exported twice."""
    original = np.array([int(rng.integers(0, len(rows)))])
    rows.append_copies(original)
    _mark(rows, original, "duplicate")


def inject(
    tables: dict[str, Rows],
    rng: np.random.Generator,
    mixed: bool,
    last_month: int,
    campaign_ids: np.ndarray,
) -> None:
    """Plant dirt into a group of one chunk's tables (in place); orders before their items."""
    if "shop_orders" in tables:
        dirty_orders(tables["shop_orders"], rng, mixed, last_month)
    if "shop_order_items" in tables:
        dirty_items(tables["shop_order_items"], tables["shop_orders"], rng)
    if "crm_customers" in tables:
        dirty_crm(tables["crm_customers"], rng)
    if "web_events" in tables:
        dirty_web_events(tables["web_events"], rng)
    if "support_tickets" in tables:
        dirty_tickets(tables["support_tickets"], rng, mixed, last_month)
    if "marketing_events" in tables:
        dirty_marketing_events(tables["marketing_events"], rng, campaign_ids)
