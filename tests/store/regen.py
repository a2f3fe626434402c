"""Golden DDL of the stores, as ``threatlake migrate --print`` prints it: ``python -m tests.store.regen``
(``make golden``) rewrites it. One file per backend and form: DuckDB, ClickHouse single-node, ClickHouse
cluster (``--cluster threatlake``)."""

from __future__ import annotations

from pathlib import Path

from threatlake.store import store_plan
from threatlake.store.migrations import script

GOLDEN = Path(__file__).parent / "golden"
DDL = GOLDEN / "clickhouse.sql"
CLUSTER = "threatlake"

#: golden file → (store URL, cluster)
FLAVOURS: dict[Path, tuple[str, str | None]] = {
    GOLDEN / "duckdb.sql": ("duckdb:///var/lib/threatlake", None),
    DDL: ("clickhouse://ch.internal:8123/threatlake", None),
    GOLDEN / "clickhouse-cluster.sql": ("clickhouse://ch.internal:8123/threatlake", CLUSTER),
}


def render(path: Path = DDL) -> str:
    url, cluster = FLAVOURS[path]
    return script(store_plan(url, cluster))


def main() -> None:
    GOLDEN.mkdir(exist_ok=True)
    for path in FLAVOURS:
        path.write_text(render(path))
        print(f"wrote {path}")


if __name__ == "__main__":
    main()
