"""Every row dataclass and its Arrow schema agree, so from_pylist/pa.table can never drop or null a column."""

from __future__ import annotations

from dataclasses import fields

import pyarrow as pa
import pytest

from pipeline.schemas import PROVENANCE, TABLES
from pipeline.write import Provenance, to_arrow, with_provenance


@pytest.mark.parametrize("name", list(TABLES))
def test_schemas_row_fields_match_schema(name):
    table = TABLES[name]
    provenance = [f.name for f in PROVENANCE] if table.provenance else []
    assert [f.name for f in fields(table.row_type)] + provenance == table.schema.names


@pytest.mark.parametrize("name", list(TABLES))
def test_schemas_empty_table_has_no_null_typed_column(name):
    arrow = with_provenance(name, to_arrow(name, []), Provenance("r", "v", "m"))
    assert arrow.num_rows == 0
    assert not [f.name for f in arrow.schema if pa.types.is_null(f.type)]
