"""End-to-end: export files as shops write them, bad files and ragged rows (issue 15, items 3
and 4). A small generated world gets held-out files dropped into its raw folder:

- marketing_campaigns rewritten as a German Excel export (`;`, decimal comma, dates like
  `24.12.2025 13:45` in Europe/Berlin, Windows-1252 with umlauts and €, CRLF, a quoted field
  with the delimiter and a line break), declared in var `raw_file_formats`, plus a second file
  of the same table in UTF-8 with a byte-order mark;
- support_tickets declared Latin-1, with an umlaut;
- into shop_orders/: a file with ragged rows, a 0-byte file, a ZIP saved as .csv and a file
  that is not valid UTF-8; into marketing_campaigns/ one that is not valid Windows-1252; an
  empty suppression_list.csv (an optional table whose only file is quarantined).

The build must read the good files correctly, quarantine the bad ones in rpt_ingestion_summary,
reject the ragged records with their true record numbers, and conserve every row.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from conftest import World, drop_bad_order_files, generate, run_dbt

BERLIN = ZoneInfo("Europe/Berlin")
FORMATS = {
    "marketing_campaigns": {
        "delimiter": ";",
        "decimal_separator": ",",
        "date_order": "DMY",
        "timezone": "Europe/Berlin",
        "encoding": "windows-1252",
    },
    "support_tickets": {"encoding": "latin-1"},
}
SELECTION = ["+staging", "+rpt_rejected_rows", "+rpt_ingestion_summary", "rpt_unmapped_values"]
# The campaign whose name gets a quoted delimiter and a line break, and the one written
# without seconds (`24.12.2025 13:45`).
QUOTED_CAMPAIGN = 0
MINUTES_CAMPAIGN = 1


def german_amount(value: str) -> str:
    """`2099.72` as a German export writes it: `2.099,72`."""
    whole, _, fraction = f"{float(value):.2f}".partition(".")
    return f"{int(whole):,}".replace(",", ".") + "," + fraction


def iso_to_utc(text: str) -> datetime:
    """The UTC time of an ISO 8601 value of the generator (offset-less is UTC)."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).replace(tzinfo=None)


def write_german_campaigns(raw: Path) -> list[dict]:
    """Rewrite marketing_campaigns.csv as a German Excel export under marketing_campaigns/.

    Returns the expected staged campaigns (id, name, cost, started_at in UTC).
    """
    source = raw / "marketing_campaigns.csv"
    rows = list(csv.DictReader(source.open(encoding="utf-8", newline="")))
    source.unlink()
    folder = raw / "marketing_campaigns"
    folder.mkdir()
    expected = []
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(rows[0].keys())
    for index, row in enumerate(rows):
        started_utc = iso_to_utc(row["started_at"])
        local = started_utc.replace(tzinfo=UTC).astimezone(BERLIN)
        if index == MINUTES_CAMPAIGN:
            local = local.replace(second=0)
            started_utc = local.astimezone(UTC).replace(tzinfo=None)
        name = f"{row['campaign_name']} – Grüße für 5 € · Straße"
        if index == QUOTED_CAMPAIGN:
            name = f"{row['campaign_name']}; Sommer\r\nÄrger-frei"
        time_format = "%d.%m.%Y %H:%M" if index == MINUTES_CAMPAIGN else "%d.%m.%Y %H:%M:%S"
        writer.writerow(
            [
                row["campaign_id"],
                name,
                row["channel"],
                local.strftime(time_format),
                german_amount(row["cost"]),
                row["currency"],
            ]
        )
        expected.append(
            {
                "campaign_id": row["campaign_id"],
                # A CRLF inside a quoted field is read as LF, as Spark's reader gives it.
                "campaign_name": name.replace("\r\n", "\n"),
                "cost": round(float(row["cost"]), 2),
                "started_at": started_utc,
            }
        )
    text = buffer.getvalue()
    half = text.index("\r\n", len(text) // 2) + 2
    header = text[: text.index("\r\n") + 2]
    (folder / "a-excel.csv").write_bytes(text[:half].encode("cp1252"))
    # The rest of the rows in UTF-8 with a byte-order mark (Excel's "CSV UTF-8"): detected.
    (folder / "b-excel-utf8.csv").write_bytes(b"\xef\xbb\xbf" + (header + text[half:]).encode())
    # Not Windows-1252: 0x81 is undefined there.
    (folder / "c-broken.csv").write_bytes(header.encode("cp1252") + b"9999;M\x81ll;x;\r\n")
    return expected


def write_latin1_tickets(raw: Path) -> None:
    """Append a ticket whose topic has an umlaut to the March 2025 drop, and save every
    monthly drop of support_tickets/ as Latin-1 (the table's declared encoding)."""
    for path in sorted((raw / "support_tickets").glob("*.csv")):
        text = path.read_text(encoding="utf-8")
        if path.name == "2025-03.csv":
            text += "T-LATIN1,00000001,2025-03-01T10:00:00Z,,email,rückfrage,\n"
        path.write_bytes(text.encode("latin-1"))


@pytest.fixture(scope="module")
def formats_world(tmp_path_factory: pytest.TempPathFactory) -> tuple[World, list[dict]]:
    """600 generated customers plus the held-out files, base models and reports built."""
    base = tmp_path_factory.mktemp("formats_world")
    raw = base / "raw"
    truth = generate(raw, 600, 5)
    expected = write_german_campaigns(raw)
    write_latin1_tickets(raw)
    drop_bad_order_files(raw)
    # The only file of an optional table is quarantined: reported, and the build goes on.
    (raw / "suppression_list.csv").write_bytes(b"")
    world = World(raw_dir=raw, truth_dir=truth, db_path=base / "warehouse.duckdb", work_dir=base)
    run_dbt(
        [
            "build",
            "--indirect-selection",
            "cautious",
            "-s",
            *SELECTION,
            "--vars",
            json.dumps({"raw_file_formats": FORMATS}),
        ],
        raw_dir=raw,
        db_path=world.db_path,
        work_dir=base,
    )
    return world, expected


def test_german_excel_export_is_parsed(formats_world: tuple[World, list[dict]]) -> None:
    """Amounts with a decimal comma, Berlin times in UTC, € and umlauts, quoted `;` and a
    line break: every campaign of both files, as the generator wrote it."""
    world, expected = formats_world
    staged = world.query(
        "select campaign_id, campaign_name, cast(campaign_cost_original as double), started_at "
        "from staging.base_marketing__campaigns where reject_reason is null order by campaign_id"
    )
    assert [
        {"campaign_id": i, "campaign_name": n, "cost": round(c, 2), "started_at": s}
        for i, n, c, s in staged
    ] == sorted(
        # The generator repeats a campaign now and then (dirt): one row per id is staged.
        {row["campaign_id"]: row for row in expected}.values(),
        key=lambda row: row["campaign_id"],
    )
    assert "€" in staged[-1][1] and "Grüße" in staged[-1][1]


def test_latin1_file_is_decoded(formats_world: tuple[World, list[dict]]) -> None:
    world, _ = formats_world
    topics = world.query(
        "select source_value from marts.rpt_unmapped_values where source_table = 'support_tickets'"
    )
    assert ("rückfrage",) in topics


def test_bad_files_are_quarantined(formats_world: tuple[World, list[dict]]) -> None:
    """Each bad file is named with its reason in the summary, and none of its rows is read."""
    world, _ = formats_world
    summary = dict(
        world.query(
            "select source_table, quarantined_file_reasons from marts.rpt_ingestion_summary"
            " where quarantined_files > 0"
        )
    )
    assert summary == {
        "shop_orders": "shop_orders/2099-not-utf8.csv: undecodable_file; "
        "shop_orders/2099-workbook.csv: binary_file; "
        "shop_orders/2099-zero-bytes.csv: empty_file",
        "marketing_campaigns": "marketing_campaigns/c-broken.csv: undecodable_file",
        "suppression_list": "suppression_list.csv: empty_file",
    }
    assert world.query("select count(*) from staging.stg_shop__orders where order_id = 'R9'") == [
        (0,)
    ]


def test_ragged_records_are_rejected_with_true_numbers(
    formats_world: tuple[World, list[dict]],
) -> None:
    """Ragged records are rejected with their reason; every record keeps its true number,
    also after a rejected one and after a record spanning two lines."""
    world, _ = formats_world
    rows = world.query(
        "select source_row_number, order_id, reject_reason, sales_channel"
        " from staging.base_shop__orders"
        " where source_file = 'shop_orders/2099-ragged.csv' order by source_row_number"
    )
    assert rows == [
        (1, "R1", None, "web"),
        (2, None, "too_many_fields", "unknown"),
        (3, "R3", None, "we\nb"),
        (4, None, "too_few_fields", "unknown"),
        (5, "R5", None, "web"),
        (6, "R6", None, "web"),
    ]
    rejected = world.query(
        "select raw_row_key, reason from marts.rpt_rejected_rows"
        " where source_file = 'shop_orders/2099-ragged.csv' order by 1"
    )
    assert rejected == [
        ("shop_orders/2099-ragged.csv:2", "too_many_fields"),
        ("shop_orders/2099-ragged.csv:4", "too_few_fields"),
    ]


def test_rows_are_conserved_per_table_and_file(formats_world: tuple[World, list[dict]]) -> None:
    """Raw records = staged + rejected, per table (the summary) and per file."""
    world, _ = formats_world
    for table, raw_rows, staged, rejected in world.query(
        "select source_table, raw_rows, staged_rows, rejected_rows from marts.rpt_ingestion_summary"
    ):
        assert raw_rows == staged + rejected, table
    per_file = world.query(
        "select source_file, count(*), max(source_row_number) from staging.base_shop__orders"
        " group by 1 having count(*) <> max(source_row_number) and max(source_row_number) > 0"
    )
    assert per_file == []


def test_required_table_without_readable_file_stops_with_one_message(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as workbook:
        workbook.writestr("xl/workbook.xml", "<workbook/>")
    (raw / "shop_orders.csv").write_bytes(archive.getvalue())
    result = run_dbt(
        ["run", "-s", "base_shop__orders"],
        raw_dir=raw,
        db_path=tmp_path / "w.duckdb",
        work_dir=tmp_path,
        check=False,
    )
    assert result.returncode != 0
    message = " ".join(result.stdout.split())
    assert "Required raw table 'shop_orders' has no readable file" in message
    assert "shop_orders.csv: binary_file (a ZIP archive" in message
    assert "Traceback" not in result.stdout
