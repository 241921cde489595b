"""The label settings: `label_params` rows read through `stg_label_params`, which validates them."""

from __future__ import annotations

import duckdb

from newsalign.warehouse.db import WarehouseError

FIX = 'fix it: newsalign sql "UPDATE label_params SET value = ... WHERE name = ..."'


class LabelParamsError(WarehouseError):
    """A label_params value is missing or malformed (the message names it and the fix)."""


def label_settings(con: duckdb.DuckDBPyConnection) -> dict:
    """The label settings as one typed row {name: value}. A bad value raises `LabelParamsError`
    with stg_label_params' message (`label_params.anchor must be published or fetch, not x`)."""
    try:
        cursor = con.execute("SELECT * FROM stg_label_params")
        ((*values,),) = cursor.fetchall()
    except duckdb.InvalidInputException as exc:  # stg_label_params' only runtime failure is its error() calls
        message = str(exc).removeprefix("Invalid Input Error: ")
        raise LabelParamsError(f"{message} ({FIX})") from None
    return dict(zip([column[0] for column in cursor.description], values))
