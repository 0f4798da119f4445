"""Simulation of the clean world: customers with a planted persona and everything they do.

:func:`simulate_chunk` produces the clean rows of all per-customer tables for a contiguous
range of customers, one group of tables at a time. Everything is vectorised with numpy and
Arrow; only small vocabularies are Python objects. Randomness comes from the generator passed
in, so a chunk is a pure function of (seed, chunk index, customer range, id counters).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from custseg.generator import config as cfg
from custseg.generator import formatting as fmt
from custseg.generator.rows import Rows

# ---------------------------------------------------------------------------------------------
# small vectorised helpers
# ---------------------------------------------------------------------------------------------


def persona_param(name: str) -> np.ndarray:
    """One persona attribute as an array indexed by persona code."""
    return np.array([getattr(persona, name) for persona in cfg.PERSONAS])


def starts_of(counts: np.ndarray) -> np.ndarray:
    """Start offset of each group in a flat array of groups of the given sizes."""
    return np.cumsum(counts) - counts


def positions(counts: np.ndarray) -> np.ndarray:
    """Position of each element within its group (0, 1, ... per group)."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(starts_of(counts), counts)


def group_cumsum(values: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Cumulative sum restarting at every group."""
    running = np.cumsum(values)
    before = np.concatenate([[0], running])[starts_of(counts)]
    return running - np.repeat(before, counts)


def draw(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows x categories) probability matrix."""
    probabilities = np.atleast_2d(probabilities)
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(probabilities.shape[0])
    return np.minimum((u[:, None] > cumulative).sum(axis=1), probabilities.shape[1] - 1)


def uniform_between(rng: np.random.Generator, low: np.ndarray, high: np.ndarray) -> np.ndarray:
    """Uniform draws in [low, high] (element-wise)."""
    return low + rng.random(len(low)) * (high - low)


def timestamp_forms(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pick a timestamp rendering form and an offset index per row."""
    form = rng.choice(3, size=n, p=cfg.TIMESTAMP_FORM_SHARE).astype(np.int8)
    offset = rng.integers(0, len(cfg.OFFSET_MINUTES), size=n)
    return form, offset


def render_timestamps(rng: np.random.Generator, seconds: np.ndarray) -> pa.Array:
    """Render timestamps with a random clean form per row."""
    form, offset = timestamp_forms(rng, len(seconds))
    return fmt.timestamps(seconds, form, offset)


def mix64(counter: np.ndarray, salt: int) -> np.ndarray:
    """A bijection of 64-bit integers (splitmix64 finaliser): unique, random-looking ids."""
    with np.errstate(over="ignore"):
        z = np.asarray(counter, dtype=np.uint64) + np.uint64(salt % (1 << 64))
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


# ---------------------------------------------------------------------------------------------
# shared, chunk-independent entities
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Catalog:
    """Products sorted by list price (ascending); ids are opaque."""

    product_id: pa.Array
    category: np.ndarray
    price_eur_cents: np.ndarray


def build_catalog(rng: np.random.Generator) -> Catalog:
    """A fixed product catalog of ``CATALOG_SIZE`` products."""
    size = cfg.CATALOG_SIZE
    category = rng.choice(len(cfg.PRODUCT_CATEGORIES), size=size, p=cfg.CATEGORY_SHARE)
    median = np.array([price for price, _ in cfg.CATEGORY_PRICE], dtype=float)[category]
    spread = np.array([sigma for _, sigma in cfg.CATEGORY_PRICE])[category]
    price = np.maximum(99, np.round(median * np.exp(rng.normal(0.0, spread)))).astype(np.int64)
    price = price - price % 100 + 99  # list prices end in .99
    order = np.argsort(price, kind="stable")
    numbers = rng.choice(np.arange(10_000, 100_000), size=size, replace=False)
    return Catalog(
        product_id=fmt.prefixed("P", fmt.digits(numbers, 5)),
        category=category[order],
        price_eur_cents=price[order],
    )


@dataclass(frozen=True)
class Campaigns:
    """The marketing campaigns, generated once for the whole world."""

    campaign_id: np.ndarray
    started_at: np.ndarray
    channel: np.ndarray
    rows: Rows


def build_campaigns(rng: np.random.Generator, start: int, end: int) -> Campaigns:
    """About ``CAMPAIGN_COUNT`` campaigns spread over the history, none in the last 3 days."""
    count = cfg.CAMPAIGN_COUNT
    ids = np.sort(rng.choice(np.arange(1, 1000), size=count, replace=False))
    span = (end - 3 * cfg.DAY) - start
    slot = span / count
    started = (start + (np.arange(count) + rng.uniform(0.0, 0.9, count)) * slot).astype(np.int64)
    channel = rng.choice(len(cfg.CAMPAIGN_CHANNELS), size=count, p=(0.5, 0.15, 0.2, 0.15))
    theme = rng.integers(0, len(cfg.CAMPAIGN_THEMES), size=count)
    month = pc.utf8_slice_codeunits(fmt.dates(started), 0, 7)
    name = fmt.concat(
        month,
        " ",
        fmt.pick(cfg.CAMPAIGN_THEMES, theme),
        " (",
        fmt.pick(cfg.CAMPAIGN_CHANNELS, channel),
        ")",
    )
    base_cost = np.array([150_000, 60_000, 400_000, 300_000])[channel]
    cost = (base_cost * rng.lognormal(0.0, 0.5, count)).astype(np.int64)
    currency = rng.choice(3, size=count, p=(0.85, 0.08, 0.07))
    rows = Rows(
        table="marketing_campaigns",
        columns={
            "campaign_id": fmt.digits(ids, 4),
            "campaign_name": name,
            "channel": fmt.pick(cfg.CAMPAIGN_CHANNELS, channel),
            "started_at": render_timestamps(rng, started),
            "cost": fmt.money(cost),
            "currency": fmt.pick(("EUR", "GBP", "SEK"), currency),
        },
    )
    return Campaigns(campaign_id=ids, started_at=started, channel=channel, rows=rows)


@dataclass
class IdCounters:
    """Running id counters carried from one chunk to the next (chunks run in order)."""

    order: int = 0
    ticket: int = 0
    event: int = 0
    anonymous: int = 0


@dataclass(frozen=True)
class Horizon:
    """The simulated time range: ``start`` (00:00:00) to ``end`` (23:59:59), epoch seconds."""

    start: int
    end: int


# ---------------------------------------------------------------------------------------------
# one chunk
# ---------------------------------------------------------------------------------------------


@dataclass
class Customers:
    """Per-customer state of one chunk (local index = position in these arrays)."""

    index: np.ndarray  # global 0-based customer index; customer_id = index + 1
    persona: np.ndarray
    currency: np.ndarray
    country: np.ndarray
    window_start: np.ndarray
    window_end: np.ndarray

    def __len__(self) -> int:
        return len(self.index)

    def ids(self, local: np.ndarray) -> pa.Array:
        """customer_id strings for local customer indices."""
        return fmt.digits(self.index[local] + 1, 8)


def simulate_customers(
    rng: np.random.Generator, first: int, count: int, horizon: Horizon
) -> Customers:
    """Draw persona, home currency, country and activity window per customer."""
    persona = rng.choice(len(cfg.PERSONAS), size=count, p=persona_param("share"))
    currency = rng.choice(len(cfg.CURRENCIES), size=count, p=cfg.CURRENCY_SHARE)
    country = np.zeros(count, dtype=np.int64)
    for code in range(len(cfg.CURRENCIES)):
        members = np.flatnonzero(currency == code)
        options = [i for i, c in enumerate(cfg.COUNTRIES) if c[1] == code]
        shares = np.array([cfg.COUNTRIES[i][2] for i in options])
        country[members] = rng.choice(options, size=len(members), p=shares / shares.sum())
    first_ago = uniform_between(
        rng, persona_param("first_ago")[persona, 0], persona_param("first_ago")[persona, 1]
    )
    last_low = persona_param("last_ago")[persona, 0]
    last_high = np.minimum(persona_param("last_ago")[persona, 1], first_ago)
    last_ago = uniform_between(rng, np.minimum(last_low, last_high), last_high)
    window_start = (horizon.end - first_ago * cfg.DAY).astype(np.int64)
    window_end = np.minimum(horizon.end, (horizon.end - last_ago * cfg.DAY).astype(np.int64))
    return Customers(
        index=np.arange(first, first + count, dtype=np.int64),
        persona=persona,
        currency=currency,
        country=country,
        window_start=np.maximum(window_start, horizon.start),
        window_end=np.maximum(window_end, np.maximum(window_start, horizon.start)),
    )


def simulate_orders(
    rng: np.random.Generator,
    customers: Customers,
    catalog: Catalog,
    horizon: Horizon,
    counters: IdCounters,
) -> tuple[Rows, Rows]:
    """Orders and their items."""
    persona = customers.persona
    n_orders = np.minimum(
        persona_param("min_orders")[persona] + rng.poisson(persona_param("extra_orders")[persona]),
        persona_param("max_orders")[persona],
    )
    owner = np.repeat(np.arange(len(customers)), n_orders)
    position = positions(n_orders)
    size = n_orders[owner]
    start = customers.window_start[owner]
    span = customers.window_end[owner] - start
    regular = persona_param("regular")[persona][owner]
    jitter = rng.uniform(-0.35, 0.35, len(owner))
    spaced = (position + 0.5 + jitter) / size
    fraction = np.where(regular, spaced, rng.random(len(owner)))
    pinned = persona_param("pin_last")[persona][owner] & (position == size - 1)
    fraction = np.where(pinned, 1.0, fraction)
    ordered_at = (start + fraction * span).astype(np.int64)
    order = np.lexsort((ordered_at, owner))
    owner, ordered_at = owner[order], ordered_at[order]
    n = len(owner)
    owner_persona = persona[owner]

    # status: recent orders may still be pending, the rest completed / cancelled / returned
    status = draw(rng, persona_param("status_share")[owner_persona])
    status = np.array([0, 1, 2])[status]
    recent = (horizon.end - ordered_at) < cfg.PENDING_WINDOW_DAYS * cfg.DAY
    status[recent & (rng.random(n) < cfg.PENDING_PROB)] = 3
    channel = draw(rng, persona_param("channel_share")[owner_persona])
    currency = customers.currency[owner]

    # items: consecutive products around a persona-specific price level, never repeated
    n_items = np.minimum(1 + rng.poisson(persona_param("extra_items")[owner_persona]), 12)
    item_order = np.repeat(np.arange(n), n_items)
    item_position = positions(n_items)
    level = np.clip(rng.normal(persona_param("price_center")[owner_persona], 0.18), 0.0, 0.999)
    first_product = (level * cfg.CATALOG_SIZE).astype(np.int64)
    product = (first_product[item_order] + cfg.ITEM_STEP * item_position) % cfg.CATALOG_SIZE
    quantity = np.minimum(
        1 + rng.poisson(persona_param("extra_quantity")[owner_persona][item_order]), 9
    )
    fx = np.array(cfg.FX_PER_EUR)[currency[item_order]]
    unit_price = np.round(catalog.price_eur_cents[product] * fx).astype(np.int64)
    gross = np.bincount(item_order, weights=quantity * unit_price, minlength=n).astype(np.int64)
    has_discount = rng.random(n) < persona_param("discount_prob")[owner_persona]
    depth_range = persona_param("discount_depth")[owner_persona]
    depth = uniform_between(rng, depth_range[:, 0], depth_range[:, 1])
    discount = np.where(has_discount, np.round(gross * depth), 0).astype(np.int64)
    total = gross - discount

    order_number = counters.order + 1 + np.arange(n, dtype=np.int64)
    counters.order += n
    order_id = fmt.digits(order_number, 10)
    form, offset = timestamp_forms(rng, n)
    month = month_index(ordered_at)
    orders = Rows(
        table="shop_orders",
        columns={
            "order_id": order_id,
            "customer_id": customers.ids(owner),
            "ordered_at": fmt.timestamps(ordered_at, form, offset),
            "status": fmt.pick(cfg.ORDER_STATUSES, status),
            "currency": fmt.pick(cfg.CURRENCIES, currency),
            "order_total": fmt.money(total),
            "discount_total": fmt.money(discount),
            "sales_channel": fmt.pick(cfg.SALES_CHANNELS, channel),
        },
        aux={
            "customer": customers.index[owner],
            "ts": ordered_at,
            "form": form,
            "offset": offset,
            "status": status,
            "currency": currency,
            "total": total,
            "discount": discount,
            "file_key": month,
        },
    )
    items = Rows(
        table="shop_order_items",
        columns={
            "order_id": pc.take(order_id, pa.array(item_order)),
            "product_id": pc.take(catalog.product_id, pa.array(product)),
            "product_category": fmt.pick(cfg.PRODUCT_CATEGORIES, catalog.category[product]),
            "quantity": fmt.integers(quantity),
            "unit_price": fmt.money(unit_price),
        },
        aux={"order_row": item_order, "unit_price": unit_price},
    )
    return orders, items


def month_index(seconds: np.ndarray) -> np.ndarray:
    """Months since 1970-01 of epoch seconds (UTC)."""
    months = np.asarray(seconds, dtype="datetime64[s]").astype("datetime64[M]")
    return months.astype(np.int64)


def month_name(index: int) -> str:
    """``YYYY-MM`` of a month index from :func:`month_index`."""
    return str(np.datetime64(int(index), "M"))


def _phones(rng: np.random.Generator, country: np.ndarray) -> pa.Array:
    """Phone numbers in national groupings: ``+49 151 2345678``, some without ``+``."""
    n = len(country)
    pieces: list[pa.Array] = []
    order: list[np.ndarray] = []
    for code, (_, _, _, _, prefix, groups) in enumerate(cfg.COUNTRIES):
        members = np.flatnonzero(country == code)
        if len(members) == 0:
            continue
        length = sum(groups)
        number = rng.integers(10 ** (length - 1), 10**length, size=len(members))
        as_text = fmt.integers(number)
        parts, at = [], 0
        for width in groups:
            parts.append(pc.utf8_slice_codeunits(as_text, at, at + width))
            at += width
        body = pc.binary_join_element_wise(*parts, " ")
        plus = rng.random(len(members)) < 0.88
        pieces.append(
            pc.if_else(
                pa.array(plus), fmt.concat(f"+{prefix} ", body), fmt.concat(f"{prefix} ", body)
            )
        )
        order.append(members)
    if not pieces:
        return fmt.text([])
    combined = pa.concat_arrays(pieces)
    inverse = np.empty(n, dtype=np.int64)
    inverse[np.concatenate(order)] = np.arange(n)
    return pc.take(combined, pa.array(inverse))


def simulate_crm(
    rng: np.random.Generator, customers: Customers, has_orders: np.ndarray, horizon: Horizon
) -> tuple[Rows, np.ndarray, np.ndarray]:
    """CRM rows (1-3 versions per customer); also returns per customer has_crm and opt-in."""
    count = len(customers)
    persona = customers.persona
    has_crm = rng.random(count) < persona_param("crm_prob")[persona]
    opt_in = rng.random(count) < persona_param("opt_in_prob")[persona]
    signup = np.where(
        has_orders,
        customers.window_start - rng.uniform(0, 400, count) * cfg.DAY,
        customers.window_start - rng.uniform(0, 30, count) * cfg.DAY,
    ).astype(np.int64)
    signup = np.clip(signup, horizon.end - 5 * 365 * cfg.DAY, horizon.end - 3600)
    first_name = rng.integers(0, len(cfg.FIRST_NAMES), count)
    last_name = rng.integers(0, len(cfg.LAST_NAMES), count)
    email_number = rng.integers(1, 1000, count)
    domain = rng.choice(len(cfg.EMAIL_DOMAINS), size=count, p=(0.6, 0.25, 0.15))
    age_days = rng.uniform(18 * 365.25, 80 * 365.25, count)
    birth = (horizon.end - age_days * cfg.DAY).astype(np.int64)
    has_birth = rng.random(count) < 0.92
    has_phone = rng.random(count) < 0.95
    city = rng.integers(0, 5, count)

    n_versions = rng.choice([1, 2, 3], size=count, p=(0.55, 0.30, 0.15)) * has_crm
    owner = np.repeat(np.arange(count), n_versions)
    version = positions(n_versions)
    gap = np.where(version == 0, rng.uniform(0, 3, len(owner)), rng.uniform(10, 300, len(owner)))
    updated = signup[owner] + (group_cumsum(gap, n_versions) * cfg.DAY).astype(np.int64)
    updated = np.where(version == 0, np.minimum(updated, horizon.end), updated)
    keep = updated <= horizon.end
    # what changed in a later version: 0 opt-in flip, 1 city, 2 phone
    change = np.where(version == 0, -1, rng.choice(3, size=len(owner), p=(0.5, 0.3, 0.2)))
    owner, version, updated, change = owner[keep], version[keep], updated[keep], change[keep]
    counts = np.bincount(owner, minlength=count)
    flips = group_cumsum((change == 0).astype(np.int64), counts)
    moves = group_cumsum((change == 1).astype(np.int64), counts)
    new_phone = group_cumsum((change == 2).astype(np.int64), counts)
    row_opt_in = opt_in[owner] ^ (flips % 2 == 1)
    row_city = (city[owner] + moves) % 5
    n = len(owner)

    encoding = rng.choice(
        len(cfg.OPT_IN_ENCODINGS), size=n, p=[share for _, _, share in cfg.OPT_IN_ENCODINGS]
    )
    true_text = fmt.pick([t for t, _, _ in cfg.OPT_IN_ENCODINGS], encoding)
    false_text = fmt.pick([f for _, f, _ in cfg.OPT_IN_ENCODINGS], encoding)
    country = customers.country[owner]
    first_row = np.repeat(starts_of(counts), counts)
    changed_row = np.maximum.accumulate(np.where(change == 2, np.arange(n), first_row))
    phone = pc.if_else(
        pa.array(new_phone % 2 == 1),
        pc.take(_phones(rng, country), pa.array(changed_row, type=pa.int64())),
        pc.take(_phones(rng, country), pa.array(first_row, type=pa.int64())),
    )
    phone = pc.if_else(pa.array(has_phone[owner]), phone, pa.scalar(None, pa.string()))
    birth_text = pc.if_else(
        pa.array(has_birth[owner]), fmt.dates(birth[owner]), pa.scalar(None, pa.string())
    )
    first_slug = fmt.pick([slug for _, slug in cfg.FIRST_NAMES], first_name[owner])
    last_slug = fmt.pick([slug for _, slug in cfg.LAST_NAMES], last_name[owner])
    email = fmt.concat(
        first_slug,
        ".",
        last_slug,
        fmt.integers(email_number[owner]),
        "@",
        fmt.pick(cfg.EMAIL_DOMAINS, domain[owner]),
    )
    cities = [name for country_row in cfg.COUNTRIES for name in country_row[3]]
    rows = Rows(
        table="crm_customers",
        columns={
            "customer_id": customers.ids(owner),
            "email": email,
            "first_name": fmt.pick([name for name, _ in cfg.FIRST_NAMES], first_name[owner]),
            "last_name": fmt.pick([name for name, _ in cfg.LAST_NAMES], last_name[owner]),
            "phone": phone,
            "country_code": fmt.pick([c[0] for c in cfg.COUNTRIES], country),
            "city": fmt.pick(cities, country * 5 + row_city),
            "birth_date": birth_text,
            "signup_at": render_timestamps(rng, signup[owner]),
            "marketing_opt_in": pc.if_else(pa.array(row_opt_in), true_text, false_text),
            "updated_at": render_timestamps(rng, updated),
        },
        aux={
            "customer": customers.index[owner],
            "country": country,
            "city": row_city,
            "ts": updated,
            "signup": signup[owner],
        },
    )
    final_opt_in = np.zeros(count, dtype=bool)
    final_opt_in[owner] = row_opt_in  # rows are in version order, so the last one wins
    has_crm = counts > 0
    return rows, has_crm, final_opt_in & has_crm


@dataclass
class Sessions:
    """Web sessions of customers and pure visitors, sorted by anonymous id then start."""

    anon: np.ndarray  # global anonymous counter value
    customer: np.ndarray  # local customer index, -1 for pure visitors
    start: np.ndarray
    outcome: np.ndarray  # 0 browse, 1 cart, 2 purchase
    traffic: np.ndarray
    device: np.ndarray
    login: np.ndarray  # this session contains the anonymous id's first login


_VISITOR_OUTCOME = (0.9, 0.1, 0.0)
_VISITOR_TRAFFIC = (0.2, 0.35, 0.15, 0.0, 0.2, 0.1)
_VISITOR_DEVICE = (0.35, 0.55, 0.10)


def simulate_sessions(
    rng: np.random.Generator,
    customers: Customers,
    has_crm: np.ndarray,
    horizon: Horizon,
    counters: IdCounters,
) -> Sessions:
    """Sessions per anonymous id: one or two devices per customer, plus pure visitors."""
    count = len(customers)
    persona = customers.persona
    n_sessions = rng.poisson(persona_param("web_sessions")[persona])
    # a prospect without a CRM row must be visible somewhere, so it logs in on the web
    must_login = (persona == cfg.PERSONA_NAMES.index("prospect")) & ~has_crm
    n_sessions = np.where(must_login, np.maximum(n_sessions, 1), n_sessions)
    two_devices = (n_sessions >= 2) & (rng.random(count) < 0.3)
    second = np.where(two_devices, rng.binomial(n_sessions, 0.35), 0)
    second = np.minimum(second, n_sessions - 1 * (n_sessions > 0))
    n_anon = 1 + two_devices
    n_visitors = int(round(cfg.VISITORS_PER_CUSTOMER * count))

    # one row per anonymous id: the customer's devices first, then the pure visitors
    anon_owner = np.concatenate([np.repeat(np.arange(count), n_anon), np.full(n_visitors, -1)])
    device_rank = np.concatenate([positions(n_anon), np.zeros(n_visitors, dtype=np.int64)])
    owned = anon_owner >= 0
    owner_persona = persona[np.maximum(anon_owner, 0)]
    per_anon = np.where(
        device_rank == 0,
        n_sessions[np.maximum(anon_owner, 0)] - second[np.maximum(anon_owner, 0)],
        second[np.maximum(anon_owner, 0)],
    )
    per_anon = np.where(owned, per_anon, 1 + rng.poisson(cfg.VISITOR_SESSIONS - 1, len(owned)))
    logs_in = owned & (rng.random(len(owned)) < persona_param("login_prob")[owner_persona])
    logs_in |= owned & must_login[np.maximum(anon_owner, 0)] & (device_rank == 0)
    device = np.where(
        owned,
        draw(rng, persona_param("device_share")[owner_persona]),
        draw(rng, np.tile(_VISITOR_DEVICE, (len(owned), 1))),
    )
    anon_number = counters.anonymous + np.arange(len(owned), dtype=np.int64)
    counters.anonymous += len(owned)

    # one row per session
    anon_row = np.repeat(np.arange(len(owned)), per_anon)
    customer = anon_owner[anon_row]
    session_owned = customer >= 0
    local = np.maximum(customer, 0)
    web_start = np.maximum(horizon.start, customers.window_start - 30 * cfg.DAY)
    web_end = np.minimum(horizon.end - 3600, customers.window_end + 14 * cfg.DAY)
    web_end = np.maximum(web_end, web_start)
    low = np.where(session_owned, web_start[local], horizon.start)
    high = np.where(session_owned, web_end[local], horizon.end - 3600)
    start = uniform_between(rng, low, high).astype(np.int64)
    order = np.lexsort((start, anon_row))
    anon_row, customer, start = anon_row[order], customer[order], start[order]
    session_owned, local = customer >= 0, np.maximum(customer, 0)
    n_rows = len(anon_row)
    visitor_rows = np.tile(_VISITOR_OUTCOME, (n_rows, 1))
    outcome = np.where(
        session_owned,
        draw(rng, persona_param("session_outcome")[persona[local]]),
        draw(rng, visitor_rows),
    )
    traffic = np.where(
        session_owned,
        draw(rng, persona_param("traffic_share")[persona[local]]),
        draw(rng, np.tile(_VISITOR_TRAFFIC, (n_rows, 1))),
    )
    rank = positions(per_anon)
    chosen = (rng.random(len(per_anon)) ** 2 * per_anon).astype(np.int64)
    login = logs_in[anon_row] & (rank == chosen[anon_row])
    return Sessions(
        anon=anon_number[anon_row],
        customer=customer,
        start=start,
        outcome=outcome,
        traffic=traffic,
        device=device[anon_row],
        login=login,
    )


_MAX_EVENTS_PER_SESSION = 40


def simulate_web_events(
    rng: np.random.Generator,
    customers: Customers,
    sessions: Sessions,
    horizon: Horizon,
    counters: IdCounters,
    salt: int,
) -> Rows:
    """Bursts of events a few minutes apart per session; ids only after the anon's login."""
    owned = sessions.customer >= 0
    extra = np.where(
        owned,
        persona_param("extra_events")[customers.persona[np.maximum(sessions.customer, 0)]],
        1.0,
    )
    base = np.array([1, 2, 4])[sessions.outcome] + sessions.login
    n_events = np.minimum(base + rng.poisson(extra), _MAX_EVENTS_PER_SESSION)
    session = np.repeat(np.arange(len(n_events)), n_events)
    position = positions(n_events)
    size = n_events[session]
    n = len(session)
    gap = np.where(position == 0, 0, rng.integers(20, 300, n))
    event_at = sessions.start[session] + group_cumsum(gap, n_events)
    event_at = np.minimum(event_at, horizon.end)

    event_type = np.where(rng.random(n) < 0.6, 1, 0)
    outcome = sessions.outcome[session]
    event_type[(outcome == 1) & (position == size - 1)] = 2
    purchase = outcome == 2
    event_type[purchase & (position == size - 3)] = 2
    event_type[purchase & (position == size - 2)] = 3
    event_type[purchase & (position == size - 1)] = 4
    event_type[position == 0] = 0
    is_login = sessions.login[session] & (position == 1)
    event_type[is_login] = 5

    # an event carries the customer id from the anonymous id's first login on
    anon = sessions.anon[session]
    _, anon_group = np.unique(anon, return_inverse=True)
    login_at = np.full(anon_group.max() + 1 if n else 0, np.iinfo(np.int64).max)
    np.minimum.at(login_at, anon_group[is_login], event_at[is_login])
    known = event_at >= login_at[anon_group]
    customer = sessions.customer[session]
    customer_id = pc.if_else(
        pa.array(known),
        fmt.digits(customers.index[np.maximum(customer, 0)] + 1, 8),
        pa.scalar(None, pa.string()),
    )
    event_number = counters.event + 1 + np.arange(n, dtype=np.int64)
    counters.event += n
    return Rows(
        table="web_events",
        columns={
            "event_id": fmt.digits(event_number, 12),
            "anonymous_id": fmt.hex16(mix64(anon, salt)),
            "customer_id": customer_id,
            "event_at": render_timestamps(rng, event_at),
            "event_type": fmt.pick(cfg.WEB_EVENT_TYPES, event_type),
            "traffic_source": fmt.pick(cfg.TRAFFIC_SOURCES, sessions.traffic[session]),
            "device_type": fmt.pick(cfg.DEVICE_TYPES, sessions.device[session]),
        },
        aux={
            "customer": np.where(known, customers.index[np.maximum(customer, 0)], -1),
            "ts": event_at,
            "device": sessions.device[session],
        },
    )


def simulate_tickets(
    rng: np.random.Generator, customers: Customers, horizon: Horizon, counters: IdCounters
) -> Rows:
    """Support tickets; complaints and low satisfaction concentrate on unhappy returners."""
    persona = customers.persona
    n_tickets = rng.poisson(persona_param("tickets")[persona])
    owner = np.repeat(np.arange(len(customers)), n_tickets)
    low = customers.window_start[owner]
    high = np.minimum(horizon.end - 3600, customers.window_end[owner] + 30 * cfg.DAY)
    created = uniform_between(rng, low, np.maximum(low, high)).astype(np.int64)
    order = np.lexsort((owner, created))
    owner, created = owner[order], created[order]
    n = len(owner)
    owner_persona = persona[owner]
    channel = rng.choice(3, size=n, p=(0.45, 0.35, 0.20))
    complaint = rng.random(n) < persona_param("complaint_share")[owner_persona]
    n_complaint = len(cfg.COMPLAINT_TOPICS)
    topic = np.where(
        complaint,
        rng.integers(0, n_complaint, n),
        n_complaint + rng.integers(0, len(cfg.OTHER_TOPICS), n),
    )
    resolved = created + 600 + (rng.exponential(30.0, n) * 3600).astype(np.int64)
    recent = (horizon.end - created) < cfg.OPEN_TICKET_WINDOW_DAYS * cfg.DAY
    is_open = (recent & (rng.random(n) < cfg.OPEN_TICKET_PROB)) | (resolved > horizon.end)
    score = 1 + draw(rng, persona_param("satisfaction_share")[owner_persona])
    has_score = ~is_open & (rng.random(n) >= cfg.NO_SATISFACTION_PROB)
    null = pa.scalar(None, pa.string())
    ticket_number = counters.ticket + 1 + np.arange(n, dtype=np.int64)
    counters.ticket += n
    return Rows(
        table="support_tickets",
        columns={
            "ticket_id": fmt.digits(ticket_number, 9),
            "customer_id": customers.ids(owner),
            "created_at": render_timestamps(rng, created),
            "resolved_at": pc.if_else(pa.array(is_open), null, render_timestamps(rng, resolved)),
            "channel": fmt.pick(cfg.TICKET_CHANNELS, channel),
            "topic": fmt.pick(cfg.TICKET_TOPICS, topic),
            "satisfaction_score": pc.if_else(pa.array(has_score), fmt.integers(score), null),
        },
        aux={
            "customer": customers.index[owner],
            "ts": created,
            "open": is_open,
            "resolved_ts": resolved,
            "file_key": month_index(created),
        },
    )


_NOT_OPTED_IN_REACH = 0.02
_BOUNCE_PROB = 0.03


def simulate_marketing_events(
    rng: np.random.Generator,
    customers: Customers,
    has_crm: np.ndarray,
    opt_in: np.ndarray,
    signup: np.ndarray,
    campaigns: Campaigns,
    horizon: Horizon,
) -> Rows:
    """Funnel-consistent campaign events: sent, then bounce or open, click, conversion."""
    persona = customers.persona
    reach = np.where(opt_in, persona_param("campaign_reach")[persona], _NOT_OPTED_IN_REACH)
    targeted = rng.random((len(customers), len(campaigns.campaign_id))) < reach[:, None]
    targeted &= has_crm[:, None] & (campaigns.started_at[None, :] >= signup[:, None])
    owner, campaign = np.nonzero(targeted)
    n = len(owner)
    owner_persona = persona[owner]
    sent = campaigns.started_at[campaign] + rng.integers(0, 2 * cfg.DAY, n)
    bounce = rng.random(n) < _BOUNCE_PROB
    opened = ~bounce & (rng.random(n) < persona_param("open_prob")[owner_persona])
    clicked = opened & (rng.random(n) < persona_param("click_prob")[owner_persona])
    converted = clicked & (rng.random(n) < persona_param("conversion_prob")[owner_persona])
    unsubscribed = opened & (rng.random(n) < persona_param("unsubscribe_prob")[owner_persona])
    bounce_at = sent + rng.integers(60, 3600, n)
    open_at = sent + 60 + (rng.exponential(8.0, n) * 3600).astype(np.int64)
    click_at = open_at + rng.integers(10, 1800, n)
    conversion_at = click_at + 60 + (rng.exponential(1.0, n) * 3600).astype(np.int64)
    unsubscribe_at = open_at + rng.integers(30, 7200, n)
    kinds = (
        (0, np.ones(n, dtype=bool), sent),
        (4, bounce, bounce_at),
        (1, opened, open_at),
        (2, clicked, click_at),
        (3, converted, conversion_at),
        (5, unsubscribed, unsubscribe_at),
    )
    rows_owner, rows_campaign, rows_type, rows_at = [], [], [], []
    for kind, happened, at in kinds:
        keep = happened & (at <= horizon.end)
        rows_owner.append(owner[keep])
        rows_campaign.append(campaign[keep])
        rows_type.append(np.full(int(keep.sum()), kind))
        rows_at.append(at[keep])
    event_owner = np.concatenate(rows_owner)
    event_campaign = np.concatenate(rows_campaign)
    event_type = np.concatenate(rows_type)
    event_at = np.concatenate(rows_at)
    order = np.lexsort((event_at, event_campaign, event_owner))
    event_owner, event_campaign = event_owner[order], event_campaign[order]
    event_type, event_at = event_type[order], event_at[order]
    return Rows(
        table="marketing_events",
        columns={
            "campaign_id": fmt.digits(campaigns.campaign_id[event_campaign], 4),
            "customer_id": customers.ids(event_owner),
            "event_type": fmt.pick(cfg.MARKETING_EVENT_TYPES, event_type),
            "event_at": render_timestamps(rng, event_at),
        },
        aux={"customer": customers.index[event_owner], "ts": event_at},
    )


def simulate_chunk(
    rng: np.random.Generator,
    first: int,
    count: int,
    horizon: Horizon,
    catalog: Catalog,
    campaigns: Campaigns,
    counters: IdCounters,
    salt: int,
) -> tuple[pa.Table, Iterator[dict[str, Rows]]]:
    """Clean rows of all per-customer tables for customers ``first .. first + count - 1``.

    Returns the truth table (customer_id, persona) and an iterator over groups of tables
    (orders with their items, then CRM, web events, tickets, marketing events). A group is
    simulated only when it is requested, so only one group's rows are in memory at a time.
    """
    customers = simulate_customers(rng, first, count, horizon)
    truth = pa.table(
        {
            "customer_id": customers.ids(np.arange(count)),
            "persona": fmt.pick(cfg.PERSONA_NAMES, customers.persona),
        }
    )

    def groups() -> Iterator[dict[str, Rows]]:
        orders, items = simulate_orders(rng, customers, catalog, horizon, counters)
        has_orders = np.bincount(orders.aux["customer"] - first, minlength=count).astype(bool)
        yield {"shop_orders": orders, "shop_order_items": items}
        del orders, items
        crm, has_crm, opt_in = simulate_crm(rng, customers, has_orders, horizon)
        signup = np.full(count, np.iinfo(np.int64).max)
        signup[crm.aux["customer"] - first] = crm.aux["signup"]
        yield {"crm_customers": crm}
        del crm
        sessions = simulate_sessions(rng, customers, has_crm, horizon, counters)
        web = simulate_web_events(rng, customers, sessions, horizon, counters, salt)
        del sessions
        yield {"web_events": web}
        del web
        yield {"support_tickets": simulate_tickets(rng, customers, horizon, counters)}
        yield {
            "marketing_events": simulate_marketing_events(
                rng, customers, has_crm, opt_in, signup, campaigns, horizon
            )
        }

    return truth, groups()
