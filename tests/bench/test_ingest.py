"""``bench/ingest.py``: per stored size and batch, the conversion apart, five kinds per store, ratios to raw
and to DuckDB."""

from __future__ import annotations

import re

import pytest

from tests.bench.conftest import RunBench

LINE = re.compile(
    r"^  (?P<store>duckdb|chdb) +(?P<kind>(?:rows )?write(?:, acknowledged| \+ fold)|raw insert) *: "
    r"+[\d,]+ events/s "
    r"\( *[\d,]+-[\d,]+\) +(?P<raw>[\d.]+)x raw(?: +(?P<versus>[\d.]+)x duckdb)?$"
)
KINDS = [
    "write, acknowledged",
    "write + fold",
    "rows write, acknowledged",
    "rows write + fold",
    "raw insert",
]


@pytest.mark.usefixtures("chdb")
def test_both_stores_at_each_stored_size(run_bench: RunBench) -> None:
    output = run_bench(
        "ingest.py", "--store", "duckdb,chdb", "--findings", "300", "--files", "1", "--batch", "200",
        "--rounds", "1", "--stored", "0", "1000",
    )  # fmt: skip
    headers = [line for line in output.splitlines() if line.startswith("batches of")]
    assert headers == [
        "batches of 200 events, 0 stored before, 1 rounds (median, min-max):",
        "batches of 200 events, 1,000 stored before, 1 rounds (median, min-max):",
    ]
    prepared = re.findall(
        r"^  prepare \(dedupe \+ dict → Arrow, off the writer\): +[\d,]+ events/s \([\d.]+ µs an event, "
        r"[\d.]+-[\d.]+\)$",
        output,
        re.MULTILINE,
    )
    assert len(prepared) == 2  # once per stored size and batch, beside the writes
    lines = [match for line in output.splitlines() if (match := LINE.match(line))]
    assert [(m["store"], m["kind"]) for m in lines] == [
        (store, kind) for store in ("duckdb", "chdb") for kind in KINDS
    ] * 2
    for match in lines:
        assert (match["versus"] is None) == (match["store"] == "duckdb"), match.group(0)
        if match["kind"] == "raw insert":
            assert match["raw"] == "1.00"
    rates = {
        (m["store"], m["kind"]): float(m.group(0).split(":")[1].split()[0].replace(",", ""))
        for m in lines[:10]
    }
    for store in ("duckdb", "chdb"):  # the fold comes after the acknowledgement: never sooner
        for kind in ("write", "rows write"):
            assert rates[store, f"{kind}, acknowledged"] >= rates[store, f"{kind} + fold"]
    for store in ("duckdb", "chdb"):
        assert re.search(rf"^{store} +end to end : +[\d,]+ findings/s", output, re.MULTILINE)
        assert re.search(rf"^{store} +re-ingest  : +[\d,]+ findings/s", output, re.MULTILINE)
