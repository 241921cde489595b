"""The warehouse, a DuckLake: schema migrations, SQL views loaded from files, a small Python API."""

from newsalign.warehouse.db import DEFAULT_DB_PATH, WarehouseError, connect, resolve_db_path, resolve_lake
from newsalign.warehouse.labels import LabelParamsError, label_settings
from newsalign.warehouse.lake import ctrl_c_in_queries, current_snapshot, in_transaction, on_every_core, retry

__all__ = [
    "ctrl_c_in_queries",
    "current_snapshot",
    "DEFAULT_DB_PATH",
    "LabelParamsError",
    "WarehouseError",
    "connect",
    "in_transaction",
    "label_settings",
    "on_every_core",
    "resolve_db_path",
    "resolve_lake",
    "retry",
]
