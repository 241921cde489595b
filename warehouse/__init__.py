"""DuckDB warehouse: schema migrations, SQL views loaded from files, a small Python API."""

from newsalign.warehouse.db import DEFAULT_DB_PATH, connect, resolve_db_path
from newsalign.warehouse.labels import LabelParamsError, label_params

__all__ = ["DEFAULT_DB_PATH", "LabelParamsError", "connect", "label_params", "resolve_db_path"]
