"""Runtime settings (pydantic-settings, prefix ``ALLPA_``), built explicitly, never at import."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Everything configurable about one Allpa installation."""

    model_config = SettingsConfigDict(env_prefix="ALLPA_", extra="ignore")

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


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides (used by tests)."""
    return Settings(**overrides)  # type: ignore[arg-type]
