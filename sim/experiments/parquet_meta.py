"""What every Parquet table Corridor writes says about itself, in the file's key-value metadata
under the key ``corridor`` (JSON): the code version, the scenario hashes of its runs, the unit
of each column whose unit is known (each mechanism's `Outputs.columns`, `sim.outputs`: shares, areas, strengths, …), labels
(factions, sweep parameters) and a note that it is a what-if model.

    import pyarrow.parquet as pq
    json.loads(pq.read_schema("runs.parquet").metadata[b"corridor"])["units"]["share_russia"]
"""

from __future__ import annotations

import json

KEY = b"corridor"


def column_units(columns, faction_ids: list[str]) -> dict[str, str]:
    """{column: unit} for the columns `sim.results.tidy` describes (step-table columns and the summary's
    shares, areas, strengths of the same names); other columns are left out."""
    from sim.results.tidy import describe_column

    units = {}
    for c in columns:
        try:
            units[c] = describe_column(str(c), faction_ids)[3]
        except KeyError:
            continue
    return units


def metadata(columns, *, faction_ids: list[str], labels: dict[str, str], scenario_sha256: list[str]) -> dict:
    """The ``corridor`` metadata of a table with `columns`."""
    from sim.program.disclaimer import DISCLAIMER
    from sim.results.result import code_version

    return {"note": DISCLAIMER, "code_version": code_version(), "scenario_sha256": sorted(set(scenario_sha256)),
            "units": column_units(columns, faction_ids), "labels": labels}


def with_metadata(schema, meta: dict):
    """The pyarrow `schema` with `meta` under the ``corridor`` key (its other metadata kept)."""
    return schema.with_metadata({**(schema.metadata or {}), KEY: json.dumps(meta, ensure_ascii=False).encode()})


def write_parquet(path, frame, meta: dict) -> None:
    """Write the DataFrame `frame` to `path` as Parquet with `meta` in its metadata."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table.replace_schema_metadata(with_metadata(table.schema, meta).metadata), path)


def read_metadata(path) -> dict:
    """The ``corridor`` metadata of a Parquet file ({} when it has none)."""
    import pyarrow.parquet as pq

    raw = (pq.read_schema(path).metadata or {}).get(KEY)
    return json.loads(raw) if raw else {}
