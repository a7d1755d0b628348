"""Runtime settings (environment variables with the prefix ``ALLPA_``), built explicitly, never
at import.

A plain dataclass read by :func:`load_settings`, not pydantic-settings: every ``allpa`` command
reads its settings first, and importing pydantic cost a quarter of a second of the 0.5 s a
command may take to start (issue 16). Each field's type annotation says how its variable is
parsed; a value that does not parse is a clear :class:`~geo.errors.InputError`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from geo.errors import InputError, bilingual

PROJECT_ROOT = Path(__file__).resolve().parents[1]
ENV_PREFIX = "ALLPA_"


@dataclass
class Settings:
    """Everything configurable about one Allpa installation."""

    #: the project directory (``var/`` lives under it unless ``var_dir`` says otherwise)
    home: Path = PROJECT_ROOT
    #: cluster data, rasters, logs (default ``<home>/var``)
    var_dir: Path | None = None
    #: an external PostGIS instead of the private cluster
    database_url: str | None = None
    #: port of the private cluster (default: derived from the data directory)
    db_port: int | None = None
    #: database name in the private cluster
    db_name: str = "allpa"
    #: ``recorded_by`` of CLI writes
    user: str = "allpa-cli"
    #: days a statute change needs before a consultation (a rule file may set its own)
    statute_lead_days: int = 120
    #: smaller overlaps between neighbouring communities are slivers, not conflicts
    neighbour_overlap_min_ha: float = 1.0
    #: search radius around communities known only by a point
    point_radius_m: float = 5000.0
    #: upload size cap of ``POST /api/layers/{layer}/imports``
    max_upload_mb: int = 200
    #: size cap of one document attached to a case (``POST /api/cases/{id}/documents``)
    case_document_max_mb: float = 25
    #: XYZ URL of a basemap for the browser map, or ``none`` (fully offline)
    basemap: str = "none"
    #: grid (degrees) that sensitive points are snapped to for the public
    public_grid_deg: float = 0.01
    #: in-process cache of finished tiles per worker, MB (0: every tile renders in PostGIS)
    tile_cache_mb: int = 64
    #: Browser origins allowed to read the API from other sites (CORS): ``*`` (public reads
    #: open to every site), a comma-separated list, or ``none``.
    cors_origins: str = "*"
    #: where the overlays of ``allpa analyze`` run: ``local`` (this process, partitions
    #: pipelined over both cores) or ``dask`` (a dask.distributed cluster); same results
    analysis_backend: Literal["local", "dask"] = "local"
    #: scheduler of the Dask cluster (``tcp://host:8786``); empty: a LocalCluster here
    dask_scheduler: str | None = None
    #: communities per spatial partition (bounds the memory of one partition's results)
    analysis_partition_size: int = 2_000
    #: worker processes of the local backend (1: none, partitions pipelined over a thread;
    #: 0: one per usable core). Forked workers speed the rules up on a quiet machine but
    #: copy most of the loaded layers (peak 1.25 GB at benchmark scale 3 against 0.9 GB)
    analysis_processes: int = 1
    #: run the analysis jobs left by edits and imports inside ``allpa serve`` (off when a
    #: separate ``allpa worker`` process does it)
    worker: bool = True
    #: SMTP server of the alert e-mail digests (plain SMTP, as a local relay speaks it)
    smtp_host: str = "localhost"
    #: port of that SMTP server
    smtp_port: int = 25
    #: sender address of the alert e-mail digests
    smtp_from: str = "allpa@localhost"

    @property
    def var(self) -> Path:
        """Where the private cluster, rasters and logs live (``var/`` by default)."""
        return (self.var_dir or self.home / "var").resolve()

    @property
    def port(self) -> int:
        """``ALLPA_DB_PORT``, else a port derived from the data directory (54300-54899), so
        two clones on one machine never share, or trip over, each other's cluster."""
        if self.db_port is not None:
            return self.db_port
        digest = hashlib.sha256(str(self.pgdata).encode("utf-8")).hexdigest()
        return 54300 + int(digest, 16) % 600

    @property
    def pgdata(self) -> Path:
        return self.var / "pgdata"

    @property
    def socket_dir(self) -> Path:
        return self.var / "run"

    def url(self, db_name: str | None = None) -> str:
        """The SQLAlchemy URL: the external one if given, else the private cluster's."""
        if self.database_url and db_name is None:
            return self.database_url
        if self.database_url:
            base, _, _ = self.database_url.rpartition("/")
            return f"{base}/{db_name}"
        name = db_name or self.db_name
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"


def load_settings(**overrides: Any) -> Settings:
    """Settings from the ``ALLPA_*`` environment variables (names in any case, as shells
    and service managers write them), with explicit overrides (used by tests)."""
    env = {k.upper(): v for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)}
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        variable = ENV_PREFIX + f.name.upper()
        if f.name in overrides:
            values[f.name] = overrides.pop(f.name)
        elif variable in env:
            values[f.name] = parse_setting(variable, str(f.type), env[variable])
    if overrides:
        raise TypeError(f"unknown settings: {', '.join(sorted(overrides))}")
    return Settings(**values)


_TRUE = frozenset({"1", "true", "yes", "on", "t", "y"})
_FALSE = frozenset({"0", "false", "no", "off", "f", "n"})


def parse_setting(variable: str, annotation: str, text: str) -> Any:
    """The value of ``variable`` as its field's ``annotation`` says (``int``, ``float``,
    ``bool``, ``str``, ``Path``, ``… | None``, ``Literal[…]``)."""
    kind, _, optional = annotation.partition(" | ")
    if optional == "None" and text.strip() == "" and kind != "str":
        return None
    try:
        if kind == "bool":
            word = text.strip().lower()
            if word in _TRUE | _FALSE:
                return word in _TRUE
            raise ValueError(text)
        if kind.startswith("Literal["):
            choices = re.findall(r"['\"]([^'\"]*)['\"]", kind)
            if text not in choices:
                raise ValueError(text)
            return text
        convert = {"int": int, "float": float, "str": str, "Path": Path}[kind]
        return convert(text.strip() if kind in ("int", "float") else text)
    except ValueError:
        expected = {"int": ("un número entero", "an integer"),
                    "float": ("un número", "a number"),
                    "bool": ("true o false", "true or false")}.get(
            kind, (f"uno de {kind[8:-1]}", f"one of {kind[8:-1]}"))
        raise InputError(bilingual(
            f"{variable}={text!r} no es válido: se espera {expected[0]}",
            f"{variable}={text!r} is not valid: {expected[1]} is expected"),
            code="invalid_setting") from None
