"""Constants of the sample-data generator: table schemas, vocabularies, personas and dirt rates.

Everything that shapes the generated world lives here so the simulation code stays free of
magic numbers. Probabilities are per row or per customer as noted.
"""

from __future__ import annotations

from dataclasses import dataclass

DAY = 86_400
HISTORY_DAYS = 730

# ---------------------------------------------------------------------------------------------
# table schemas (exact header names and order)
# ---------------------------------------------------------------------------------------------
TABLE_COLUMNS: dict[str, tuple[str, ...]] = {
    "shop_orders": (
        "order_id",
        "customer_id",
        "ordered_at",
        "status",
        "currency",
        "order_total",
        "discount_total",
        "sales_channel",
    ),
    "shop_order_items": ("order_id", "product_id", "product_category", "quantity", "unit_price"),
    "crm_customers": (
        "customer_id",
        "email",
        "first_name",
        "last_name",
        "phone",
        "country_code",
        "city",
        "birth_date",
        "signup_at",
        "marketing_opt_in",
        "updated_at",
    ),
    "web_events": (
        "event_id",
        "anonymous_id",
        "customer_id",
        "event_at",
        "event_type",
        "traffic_source",
        "device_type",
    ),
    "support_tickets": (
        "ticket_id",
        "customer_id",
        "created_at",
        "resolved_at",
        "channel",
        "topic",
        "satisfaction_score",
    ),
    "marketing_campaigns": (
        "campaign_id",
        "campaign_name",
        "channel",
        "started_at",
        "cost",
        "currency",
    ),
    "marketing_events": ("campaign_id", "customer_id", "event_type", "event_at"),
}
TABLES = tuple(TABLE_COLUMNS)

# ---------------------------------------------------------------------------------------------
# reject reasons, in the precedence order the dbt validation applies them per table
# ---------------------------------------------------------------------------------------------
STAGED = 0
REASONS = (
    "staged",
    "missing_key",
    "unparseable_timestamp",
    "future_timestamp",
    "unparseable_amount",
    "negative_amount",
    "unknown_currency",
    "out_of_range",
    "orphan",
    "duplicate",
    "superseded",
)
REASON_CODE = {name: code for code, name in enumerate(REASONS)}

TABLE_REASONS: dict[str, tuple[str, ...]] = {
    "shop_orders": (
        "missing_key",
        "unparseable_timestamp",
        "future_timestamp",
        "unparseable_amount",
        "negative_amount",
        "unknown_currency",
        "duplicate",
        "superseded",
    ),
    "shop_order_items": (
        "missing_key",
        "unparseable_amount",
        "negative_amount",
        "out_of_range",
        "orphan",
        "duplicate",
        "superseded",
    ),
    "crm_customers": (
        "missing_key",
        "unparseable_timestamp",
        "future_timestamp",
        "out_of_range",
        "duplicate",
        "superseded",
    ),
    "web_events": (
        "missing_key",
        "unparseable_timestamp",
        "future_timestamp",
        "duplicate",
        "superseded",
    ),
    "support_tickets": (
        "missing_key",
        "unparseable_timestamp",
        "future_timestamp",
        "out_of_range",
        "duplicate",
        "superseded",
    ),
    "marketing_campaigns": ("duplicate", "superseded"),
    "marketing_events": (
        "missing_key",
        "unparseable_timestamp",
        "future_timestamp",
        "orphan",
        "duplicate",
    ),
}

# ---------------------------------------------------------------------------------------------
# clean vocabularies
# ---------------------------------------------------------------------------------------------
ORDER_STATUSES = ("completed", "cancelled", "returned", "pending")
CURRENCIES = ("EUR", "USD", "GBP", "SEK", "PLN", "CHF")
CURRENCY_SHARE = (0.70, 0.08, 0.08, 0.05, 0.05, 0.04)
# Units of local currency per EUR; list prices are converted with these.
FX_PER_EUR = (1.0, 1.08, 0.85, 11.4, 4.3, 0.95)
SALES_CHANNELS = ("web", "app", "store", "marketplace")
PRODUCT_CATEGORIES = (
    "electronics",
    "fashion",
    "home",
    "beauty",
    "sports",
    "books",
    "toys",
    "grocery",
)
CATEGORY_SHARE = (0.12, 0.20, 0.15, 0.12, 0.10, 0.11, 0.08, 0.12)
# median list price in EUR cents and log-normal spread per category
CATEGORY_PRICE = (
    (14_900, 0.8),
    (3_900, 0.5),
    (4_900, 0.7),
    (1_900, 0.5),
    (4_500, 0.6),
    (1_500, 0.3),
    (2_500, 0.5),
    (600, 0.5),
)
CATALOG_SIZE = 1_999  # prime, so (start + step * j) % size never repeats within an order
ITEM_STEP = 7

WEB_EVENT_TYPES = ("page_view", "product_view", "add_to_cart", "checkout", "purchase", "login")
TRAFFIC_SOURCES = ("direct", "organic_search", "paid_search", "email", "social", "referral")
DEVICE_TYPES = ("desktop", "mobile", "tablet")
TICKET_CHANNELS = ("email", "chat", "phone")
COMPLAINT_TOPICS = ("delivery", "refund", "product_defect", "billing")
OTHER_TOPICS = ("account", "general_question")
TICKET_TOPICS = COMPLAINT_TOPICS + OTHER_TOPICS
CAMPAIGN_CHANNELS = ("email", "sms", "paid_social", "display")
CAMPAIGN_THEMES = (
    "Spring Sale",
    "Summer Deals",
    "Back to School",
    "Autumn Picks",
    "Black Friday",
    "Holiday Gifts",
    "New Year Reset",
    "Loyalty Rewards",
    "Win Back",
    "Flash Sale",
)
CAMPAIGN_COUNT = 40
MARKETING_EVENT_TYPES = ("sent", "open", "click", "conversion", "bounce", "unsubscribe")

# (country, currency index, share within that currency, city list, phone prefix, digit groups)
COUNTRIES: tuple[tuple[str, int, float, tuple[str, ...], str, tuple[int, ...]], ...] = (
    ("DE", 0, 0.40, ("Berlin", "Hamburg", "München", "Köln", "Frankfurt am Main"), "49", (3, 7)),
    ("FR", 0, 0.22, ("Paris", "Lyon", "Marseille", "Toulouse", "Nantes"), "33", (1, 2, 2, 2, 2)),
    ("NL", 0, 0.14, ("Amsterdam", "Rotterdam", "Utrecht", "Den Haag", "Eindhoven"), "31", (1, 8)),
    ("ES", 0, 0.12, ("Madrid", "Barcelona", "Valencia", "Sevilla", "Málaga"), "34", (3, 2, 2, 2)),
    ("IT", 0, 0.12, ("Roma", "Milano", "Napoli", "Torino", "Bologna"), "39", (3, 3, 4)),
    ("US", 1, 1.00, ("New York", "Chicago", "Austin", "Seattle", "Boston"), "1", (3, 3, 4)),
    ("GB", 2, 1.00, ("London", "Manchester", "Leeds", "Bristol", "Edinburgh"), "44", (4, 6)),
    ("SE", 3, 1.00, ("Stockholm", "Göteborg", "Malmö", "Uppsala", "Lund"), "46", (2, 3, 2, 2)),
    ("PL", 4, 1.00, ("Warszawa", "Kraków", "Łódź", "Wrocław", "Gdańsk"), "48", (3, 3, 3)),
    ("CH", 5, 1.00, ("Zürich", "Genève", "Basel", "Bern", "Lausanne"), "41", (2, 3, 2, 2)),
)

# (display name, ascii slug used in e-mail addresses)
FIRST_NAMES: tuple[tuple[str, str], ...] = tuple(
    (name, slug)
    for name, slug in (
        ("Anna", "anna"),
        ("Lukas", "lukas"),
        ("Sophie", "sophie"),
        ("Jonas", "jonas"),
        ("Emma", "emma"),
        ("Léa", "lea"),
        ("Hugo", "hugo"),
        ("Chloé", "chloe"),
        ("Lars", "lars"),
        ("Ingrid", "ingrid"),
        ("Sven", "sven"),
        ("Maja", "maja"),
        ("Łukasz", "lukasz"),
        ("Zofia", "zofia"),
        ("Jakub", "jakub"),
        ("Marco", "marco"),
        ("Giulia", "giulia"),
        ("Luca", "luca"),
        ("Sofía", "sofia"),
        ("Pablo", "pablo"),
        ("Lucía", "lucia"),
        ("Daan", "daan"),
        ("Fleur", "fleur"),
        ("Noah", "noah"),
        ("Olivia", "olivia"),
        ("James", "james"),
        ("Amelia", "amelia"),
        ("Oliver", "oliver"),
        ("Emily", "emily"),
        ("Michael", "michael"),
        ("Sarah", "sarah"),
        ("David", "david"),
        ("Jessica", "jessica"),
        ("Zoë", "zoe"),
        ("Nils", "nils"),
        ("Elin", "elin"),
        ("Matteo", "matteo"),
        ("Ana", "ana"),
        ("Felix", "felix"),
        ("Mia", "mia"),
        ("Leon", "leon"),
        ("Hannah", "hannah"),
        ("Noé", "noe"),
        ("Inès", "ines"),
        ("Tomasz", "tomasz"),
        ("Agnieszka", "agnieszka"),
        ("Ethan", "ethan"),
        ("Grace", "grace"),
    )
)
LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("Müller", "mueller"),
    ("Schmidt", "schmidt"),
    ("Schneider", "schneider"),
    ("Fischer", "fischer"),
    ("Weber", "weber"),
    ("Becker", "becker"),
    ("Martin", "martin"),
    ("Bernard", "bernard"),
    ("Dubois", "dubois"),
    ("Lefèvre", "lefevre"),
    ("Moreau", "moreau"),
    ("de Vries", "devries"),
    ("Jansen", "jansen"),
    ("van Dijk", "vandijk"),
    ("Bakker", "bakker"),
    ("García", "garcia"),
    ("Fernández", "fernandez"),
    ("López", "lopez"),
    ("Martínez", "martinez"),
    ("Rossi", "rossi"),
    ("Russo", "russo"),
    ("Ferrari", "ferrari"),
    ("Esposito", "esposito"),
    ("Smith", "smith"),
    ("Jones", "jones"),
    ("Taylor", "taylor"),
    ("Brown", "brown"),
    ("Williams", "williams"),
    ("Johnson", "johnson"),
    ("Miller", "miller"),
    ("Davis", "davis"),
    ("Andersson", "andersson"),
    ("Johansson", "johansson"),
    ("Karlsson", "karlsson"),
    ("Nilsson", "nilsson"),
    ("Kowalski", "kowalski"),
    ("Nowak", "nowak"),
    ("Wiśniewski", "wisniewski"),
    ("Wójcik", "wojcik"),
    ("Meier", "meier"),
    ("Keller", "keller"),
    ("Huber", "huber"),
    ("O'Brien", "obrien"),
    ("Graf", "graf"),
    ("Lang", "lang"),
    ("Wolf", "wolf"),
    ("Koch", "koch"),
    ("Richter", "richter"),
)
EMAIL_DOMAINS = ("example.com", "example.org", "example.net")

# boolean encodings seen in the CRM export: (true value, false value, share of rows)
OPT_IN_ENCODINGS: tuple[tuple[str, str, float], ...] = (
    ("true", "false", 0.30),
    ("yes", "no", 0.15),
    ("1", "0", 0.20),
    ("y", "n", 0.08),
    ("TRUE", "FALSE", 0.12),
    ("Yes", "No", 0.10),
    ("Y", "N", 0.05),
)

# timestamp forms: 0 = `...Z`, 1 = `... ` without offset (UTC), 2 = local time with offset
TIMESTAMP_FORM_SHARE = (0.5, 0.3, 0.2)
OFFSET_MINUTES = (60, 120, 0, -240, -300, 330)

# ---------------------------------------------------------------------------------------------
# personas
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Persona:
    """Behaviour parameters of one planted persona (all rates per customer unless noted)."""

    name: str
    share: float
    # orders: count = min_orders + Poisson(extra_orders), capped at max_orders
    min_orders: int
    extra_orders: float
    max_orders: int
    # activity window, in days before the end date: first ~ U(first_ago), last ~ U(last_ago)
    first_ago: tuple[float, float]
    last_ago: tuple[float, float]
    pin_last: bool  # the latest order sits exactly at the end of the window (recent buyer)
    regular: bool  # orders evenly spaced (subscription-like) instead of random
    price_center: float  # position in the price-sorted catalog (0 cheap .. 1 expensive)
    extra_items: float  # items per order = 1 + Poisson(extra_items)
    extra_quantity: float  # quantity per item = 1 + Poisson(extra_quantity)
    discount_prob: float
    discount_depth: tuple[float, float]
    status_share: tuple[float, float, float]  # completed, cancelled, returned (non-pending)
    channel_share: tuple[float, float, float, float]  # web, app, store, marketplace
    crm_prob: float
    opt_in_prob: float
    web_sessions: float  # mean sessions per customer
    session_outcome: tuple[float, float, float]  # browse, cart, purchase
    extra_events: float  # events per session = base + Poisson(extra_events)
    login_prob: float  # per anonymous id
    traffic_share: tuple[float, float, float, float, float, float]
    device_share: tuple[float, float, float]
    tickets: float  # mean tickets per customer
    complaint_share: float
    satisfaction_share: tuple[float, float, float, float, float]
    campaign_reach: float  # probability an opted-in customer is targeted by one campaign
    open_prob: float
    click_prob: float
    conversion_prob: float
    unsubscribe_prob: float


_HAPPY = (0.04, 0.06, 0.15, 0.35, 0.40)
_NEUTRAL = (0.08, 0.10, 0.25, 0.32, 0.25)
_UNHAPPY = (0.45, 0.33, 0.13, 0.06, 0.03)

PERSONAS: tuple[Persona, ...] = (
    Persona(
        name="champion",
        share=0.10,
        min_orders=20,
        extra_orders=24.0,
        max_orders=90,
        first_ago=(420, 730),
        last_ago=(0, 20),
        pin_last=True,
        regular=False,
        price_center=0.72,
        extra_items=1.7,
        extra_quantity=0.5,
        discount_prob=0.08,
        discount_depth=(0.05, 0.12),
        status_share=(0.965, 0.015, 0.02),
        channel_share=(0.22, 0.62, 0.12, 0.04),
        crm_prob=0.97,
        opt_in_prob=0.85,
        web_sessions=8.0,
        session_outcome=(0.45, 0.15, 0.40),
        extra_events=2.0,
        login_prob=0.95,
        traffic_share=(0.45, 0.15, 0.05, 0.25, 0.05, 0.05),
        device_share=(0.25, 0.68, 0.07),
        tickets=0.4,
        complaint_share=0.35,
        satisfaction_share=_HAPPY,
        campaign_reach=0.35,
        open_prob=0.60,
        click_prob=0.30,
        conversion_prob=0.35,
        unsubscribe_prob=0.005,
    ),
    Persona(
        name="loyal_regular",
        share=0.20,
        min_orders=14,
        extra_orders=8.0,
        max_orders=40,
        first_ago=(560, 730),
        last_ago=(0, 40),
        pin_last=True,
        regular=True,
        price_center=0.50,
        extra_items=1.5,
        extra_quantity=0.3,
        discount_prob=0.20,
        discount_depth=(0.05, 0.15),
        status_share=(0.95, 0.02, 0.03),
        channel_share=(0.70, 0.12, 0.14, 0.04),
        crm_prob=0.97,
        opt_in_prob=0.60,
        web_sessions=5.0,
        session_outcome=(0.55, 0.15, 0.30),
        extra_events=1.8,
        login_prob=0.90,
        traffic_share=(0.40, 0.30, 0.05, 0.15, 0.05, 0.05),
        device_share=(0.60, 0.30, 0.10),
        tickets=0.3,
        complaint_share=0.35,
        satisfaction_share=_HAPPY,
        campaign_reach=0.25,
        open_prob=0.35,
        click_prob=0.15,
        conversion_prob=0.20,
        unsubscribe_prob=0.01,
    ),
    Persona(
        name="bargain_hunter",
        share=0.15,
        min_orders=5,
        extra_orders=10.0,
        max_orders=40,
        first_ago=(300, 730),
        last_ago=(0, 120),
        pin_last=True,
        regular=False,
        price_center=0.32,
        extra_items=1.7,
        extra_quantity=0.4,
        discount_prob=0.85,
        discount_depth=(0.20, 0.50),
        status_share=(0.94, 0.03, 0.03),
        channel_share=(0.25, 0.10, 0.05, 0.60),
        crm_prob=0.97,
        opt_in_prob=0.90,
        web_sessions=4.0,
        session_outcome=(0.55, 0.20, 0.25),
        extra_events=2.0,
        login_prob=0.85,
        traffic_share=(0.10, 0.15, 0.30, 0.25, 0.15, 0.05),
        device_share=(0.45, 0.45, 0.10),
        tickets=0.3,
        complaint_share=0.40,
        satisfaction_share=_NEUTRAL,
        campaign_reach=0.45,
        open_prob=0.55,
        click_prob=0.55,
        conversion_prob=0.30,
        unsubscribe_prob=0.01,
    ),
    Persona(
        name="new_customer",
        share=0.10,
        min_orders=1,
        extra_orders=0.6,
        max_orders=2,
        first_ago=(5, 58),
        last_ago=(0, 58),
        pin_last=False,
        regular=False,
        price_center=0.48,
        extra_items=1.4,
        extra_quantity=0.3,
        discount_prob=0.45,
        discount_depth=(0.10, 0.20),
        status_share=(0.95, 0.03, 0.02),
        channel_share=(0.50, 0.30, 0.12, 0.08),
        crm_prob=0.97,
        opt_in_prob=0.65,
        web_sessions=3.0,
        session_outcome=(0.60, 0.20, 0.20),
        extra_events=2.2,
        login_prob=0.85,
        traffic_share=(0.15, 0.30, 0.25, 0.05, 0.20, 0.05),
        device_share=(0.40, 0.50, 0.10),
        tickets=0.2,
        complaint_share=0.30,
        satisfaction_share=_NEUTRAL,
        campaign_reach=0.30,
        open_prob=0.45,
        click_prob=0.20,
        conversion_prob=0.20,
        unsubscribe_prob=0.02,
    ),
    Persona(
        name="lapsed",
        share=0.15,
        min_orders=3,
        extra_orders=5.0,
        max_orders=25,
        first_ago=(480, 730),
        last_ago=(285, 460),
        pin_last=True,
        regular=False,
        price_center=0.45,
        extra_items=1.4,
        extra_quantity=0.3,
        discount_prob=0.25,
        discount_depth=(0.05, 0.20),
        status_share=(0.93, 0.03, 0.04),
        channel_share=(0.60, 0.15, 0.15, 0.10),
        crm_prob=0.97,
        opt_in_prob=0.50,
        web_sessions=2.5,
        session_outcome=(0.65, 0.15, 0.20),
        extra_events=1.5,
        login_prob=0.80,
        traffic_share=(0.35, 0.30, 0.10, 0.10, 0.10, 0.05),
        device_share=(0.55, 0.35, 0.10),
        tickets=0.2,
        complaint_share=0.40,
        satisfaction_share=_NEUTRAL,
        campaign_reach=0.25,
        open_prob=0.08,
        click_prob=0.10,
        conversion_prob=0.05,
        unsubscribe_prob=0.04,
    ),
    Persona(
        name="window_shopper",
        share=0.12,
        min_orders=1,
        extra_orders=0.8,
        max_orders=3,
        first_ago=(200, 730),
        last_ago=(0, 150),
        pin_last=False,
        regular=False,
        price_center=0.55,
        extra_items=0.8,
        extra_quantity=0.1,
        discount_prob=0.30,
        discount_depth=(0.05, 0.20),
        status_share=(0.94, 0.04, 0.02),
        channel_share=(0.75, 0.18, 0.02, 0.05),
        crm_prob=0.97,
        opt_in_prob=0.50,
        web_sessions=16.0,
        session_outcome=(0.48, 0.50, 0.02),
        extra_events=2.0,
        login_prob=0.85,
        traffic_share=(0.25, 0.30, 0.15, 0.05, 0.20, 0.05),
        device_share=(0.35, 0.50, 0.15),
        tickets=0.15,
        complaint_share=0.15,
        satisfaction_share=_NEUTRAL,
        campaign_reach=0.25,
        open_prob=0.40,
        click_prob=0.25,
        conversion_prob=0.03,
        unsubscribe_prob=0.01,
    ),
    Persona(
        name="unhappy_returner",
        share=0.08,
        min_orders=4,
        extra_orders=6.0,
        max_orders=30,
        first_ago=(300, 730),
        last_ago=(0, 180),
        pin_last=True,
        regular=False,
        price_center=0.55,
        extra_items=1.6,
        extra_quantity=0.3,
        discount_prob=0.20,
        discount_depth=(0.05, 0.15),
        status_share=(0.57, 0.05, 0.38),
        channel_share=(0.55, 0.20, 0.05, 0.20),
        crm_prob=0.97,
        opt_in_prob=0.30,
        web_sessions=4.0,
        session_outcome=(0.60, 0.15, 0.25),
        extra_events=1.8,
        login_prob=0.90,
        traffic_share=(0.40, 0.25, 0.10, 0.10, 0.10, 0.05),
        device_share=(0.50, 0.40, 0.10),
        tickets=4.0,
        complaint_share=0.88,
        satisfaction_share=_UNHAPPY,
        campaign_reach=0.20,
        open_prob=0.15,
        click_prob=0.10,
        conversion_prob=0.05,
        unsubscribe_prob=0.08,
    ),
    Persona(
        name="prospect",
        share=0.10,
        min_orders=0,
        extra_orders=0.0,
        max_orders=0,
        first_ago=(30, 730),
        last_ago=(0, 300),
        pin_last=False,
        regular=False,
        price_center=0.5,
        extra_items=0.0,
        extra_quantity=0.0,
        discount_prob=0.0,
        discount_depth=(0.0, 0.0),
        status_share=(1.0, 0.0, 0.0),
        channel_share=(1.0, 0.0, 0.0, 0.0),
        crm_prob=0.70,
        opt_in_prob=0.55,
        web_sessions=2.5,
        session_outcome=(0.85, 0.15, 0.0),
        extra_events=1.5,
        login_prob=0.60,
        traffic_share=(0.15, 0.35, 0.20, 0.05, 0.20, 0.05),
        device_share=(0.40, 0.50, 0.10),
        tickets=0.1,
        complaint_share=0.0,
        satisfaction_share=_NEUTRAL,
        campaign_reach=0.25,
        open_prob=0.25,
        click_prob=0.10,
        conversion_prob=0.02,
        unsubscribe_prob=0.03,
    ),
)
PERSONA_NAMES = tuple(p.name for p in PERSONAS)

PENDING_WINDOW_DAYS = 14  # orders this recent may still be pending
PENDING_PROB = 0.3
OPEN_TICKET_WINDOW_DAYS = 14
OPEN_TICKET_PROB = 0.5
NO_SATISFACTION_PROB = 0.35
VISITORS_PER_CUSTOMER = 0.3  # anonymous visitors that never log in, per customer
VISITOR_SESSIONS = 1.5

# ---------------------------------------------------------------------------------------------
# dirt: share of clean rows per table that receive each defect (disjoint rows)
# ---------------------------------------------------------------------------------------------
DIRT_RATES: dict[str, dict[str, float]] = {
    "shop_orders": {
        "superseded": 0.004,
        "duplicate": 0.004,
        "missing_key": 0.002,
        "unparseable_timestamp": 0.002,
        "future_timestamp": 0.0015,
        "unparseable_amount": 0.002,
        "negative_amount": 0.0015,
        "unknown_currency": 0.0015,
        "order_status_messy": 0.004,
        "currency_messy": 0.004,
        "blank_sales_channel": 0.004,
    },
    "shop_order_items": {
        "duplicate": 0.004,
        "missing_key": 0.002,
        "unparseable_amount": 0.002,
        "negative_amount": 0.0015,
        "out_of_range": 0.0015,
    },
    "crm_customers": {
        "duplicate": 0.004,
        "superseded": 0.002,
        "missing_key": 0.002,
        "unparseable_timestamp": 0.003,
        "future_timestamp": 0.002,
        "out_of_range": 0.002,
        "email_messy": 0.01,
    },
    "web_events": {
        "duplicate": 0.005,
        "superseded": 0.002,
        "missing_key": 0.002,
        "unparseable_timestamp": 0.002,
        "future_timestamp": 0.0015,
        "unmapped_event_type": 0.002,
        "unmapped_traffic_source": 0.002,
        "unmapped_device_type": 0.002,
    },
    "support_tickets": {
        "duplicate": 0.004,
        "superseded": 0.005,
        "missing_key": 0.003,
        "unparseable_timestamp": 0.003,
        "future_timestamp": 0.002,
        "out_of_range": 0.004,
        "unmapped_topic": 0.005,
    },
    "marketing_events": {
        "duplicate": 0.004,
        "missing_key": 0.002,
        "unparseable_timestamp": 0.002,
        "future_timestamp": 0.0015,
        "orphan": 0.002,
        "unmapped_event_type": 0.003,
    },
}

BAD_TIMESTAMPS = (
    "yesterday",
    "2025-13-01 10:00:00",
    "2025-02-30T10:00:00Z",
    "04/03/2025 10:22",
    "31.12.2025",
    "tbd",
    "2025-03-04T25:61:00Z",
    "",
)
BAD_DATES = ("1980-02-30", "31.12.1985", "unknown", "19-07-1990")
BAD_AMOUNTS = ("12,50", "€12.50", "12.5 EUR", "abc", "12.3.4", "")
BAD_QUANTITIES = ("1.5", "two", "", "2 pcs")
BLANK_VALUES = ("", "  ")
UNKNOWN_CURRENCIES = ("XYZ", "EURO", "US$", "€")
BAD_SATISFACTION = ("0", "6", "9", "-1", "10")
MESSY_STATUS = {"completed": (" Completed ", "COMPLETED", "completed "), "returned": ("RETURNED",)}
UNMAPPED_VALUES = {
    "web_events.event_type": "scroll_depth",
    "web_events.traffic_source": "tiktok_ads",
    "web_events.device_type": "smart_tv",
    "support_tickets.topic": "other_stuff",
    "marketing_events.event_type": "forwarded",
}
FUTURE_YEAR = 2099
