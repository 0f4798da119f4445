"""State changes that monthly drops export twice: the dated versions of orders and tickets.

A shop or helpdesk that exports every month writes each row as it is when the month ends. A
row whose state changes after that appears again, changed, in a later month's drop:
- an order returned after its month: ``completed`` in its month's drop, ``returned`` in the
  next month's drop;
- a ticket still open when its month ended: open (no resolution, no rating) in its month's
  drop, resolved in the drop of the month it was resolved in.
Both rows are valid, staged versions (the dbt project keeps each drop date's version, known
from the date in the file's name). Rows in the last month's drop have no later drop, so they
keep their final state. No random draws of its own: the simulated world is the same in both
layouts (the dirt planted afterwards differs, because it draws over more rows). The rows
are reserved (``aux["reserved"]``): dirt never touches them, so that each versioned row
keeps exactly the verdict written here.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from custseg.generator import config as cfg
from custseg.generator.rows import Rows
from custseg.generator.world import month_index

_COMPLETED = cfg.ORDER_STATUSES.index("completed")
_RETURNED = cfg.ORDER_STATUSES.index("returned")


def _reserve(rows: Rows, indices: np.ndarray) -> None:
    reserved = rows.aux.setdefault("reserved", np.zeros(len(rows), dtype=bool))
    reserved[indices] = True


def returned_orders(orders: Rows, last_month: int) -> None:
    """A returned order: completed in its month's drop, returned in the next month's."""
    _reserve(orders, np.zeros(0, dtype=np.int64))
    returned = np.flatnonzero(
        (orders.aux["status"] == _RETURNED) & (orders.aux["file_key"] < last_month)
    )
    finals = orders.append_copies(returned)
    orders.aux["file_key"][finals] += 1
    orders.set("status", returned, ["completed"] * len(returned))
    orders.aux["status"][returned] = _COMPLETED
    _reserve(orders, np.concatenate([returned, finals]))


def tickets_resolved_later(tickets: Rows) -> None:
    """A ticket resolved in a later month: open in its month's drop, resolved in that month's."""
    _reserve(tickets, np.zeros(0, dtype=np.int64))
    resolved_month = month_index(tickets.aux["resolved_ts"])
    later = np.flatnonzero(~tickets.aux["open"] & (resolved_month > tickets.aux["file_key"]))
    finals = tickets.append_copies(later)
    tickets.aux["file_key"][finals] = resolved_month[later]
    for column in ("resolved_at", "satisfaction_score"):
        tickets.set(column, later, pa.nulls(len(later), pa.string()))
    tickets.aux["open"][later] = True
    _reserve(tickets, np.concatenate([later, finals]))


def export_state_changes(tables: dict[str, Rows], last_month: int) -> None:
    """Add the later drops' versions to a group of one chunk's tables (in place)."""
    if "shop_orders" in tables:
        returned_orders(tables["shop_orders"], last_month)
    if "support_tickets" in tables:
        tickets_resolved_later(tables["support_tickets"])
