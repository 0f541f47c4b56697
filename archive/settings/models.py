"""The archive's and the local stack's settings; `loader` says where they are read from."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr

# Every package's settings: unknown keys refused, defaults checked like given values.
STRICT = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class _Section(BaseModel):
    model_config = STRICT


class S3Settings(_Section):
    endpoint: str = Field("127.0.0.1:9000", description="host:port of the S3 server (MinIO)")
    access_key: str = Field("", description="S3 access key; the local stack generates one")
    secret_key: SecretStr = Field(SecretStr(""), description="S3 secret key")
    bucket: str = Field("aidrec-evidence", min_length=3, max_length=63, description="bucket")
    secure: bool = Field(False, description="use TLS to reach the S3 server")
    ca_file: Path | None = Field(
        None, description="PEM CA bundle the S3 server's TLS certificate must chain to "
        "(with secure = true); default: the system's")
    region: str | None = Field(None, description="S3 region, if the server needs one")
    hold_access_key: str = Field(
        "", description="access key of the S3 identity that alone may place and lift legal "
        "holds; the app's own identity may not")
    hold_secret_key: SecretStr = Field(SecretStr(""), description="its secret key")


class SigningSettings(_Section):
    key: Path | None = Field(None, description="PEM private key of the archive signer")
    cert: Path | None = Field(None, description="PEM certificate of the archive signer")
    chain: list[Path] = Field(default_factory=list, description="PEM intermediate/root certs")
    trust_roots: list[Path] = Field(
        default_factory=list, description="PEM roots that verification trusts"
    )
    crls: list[Path] = Field(default_factory=list, description="CRL snapshots stored with seals")


class TsaSettings(_Section):
    url: str = Field("", description="RFC 3161 timestamp authority URL")
    trust_root: Path | None = Field(None, description="PEM root the TSA certificate chains to")
    timeout_s: float = Field(10.0, gt=0, le=120, description="TSA request timeout")


class PortSettings(_Section):
    api: int = Field(8700, ge=1, le=65535, description="API/web port")
    s3: int = Field(8733, ge=1, le=65535, description="local SeaweedFS S3 port")
    tsa: int = Field(8718, ge=1, le=65535, description="local TSA port")
    seaweed_base: int = Field(18000, ge=1024, le=60000, description="first of weed's other ports")


class JobSettings(_Section):
    redis_url: str | None = Field(None, description="use Redis for jobs instead of SQLite")
    workers: int = Field(2, ge=1, le=64, description="job worker threads/processes")


class ArchiveSettings(_Section):
    seal_interval_s: int = Field(
        600, ge=10, le=86400, description="seal a running recording at least this often"
    )
    default_retention_days: int = Field(
        180, ge=180, le=36500, description="COMPLIANCE lock of a new original (floor: 6 months)"
    )
    heartbeat_timeout_s: int = Field(
        60, ge=15, le=3600, description="silence after which a recorder counts as offline"
    )
    max_segment_bytes: int = Field(
        2 * 1024**3, ge=1024, description="largest segment accepted by the ingest API"
    )
    device_token_idle_days: int = Field(
        30, ge=1, le=3650, description="a device token unused this many days stops working; "
        "an administrator rotates it to bring the recorder back"
    )
    export_keep_days: int = Field(
        7, ge=1, le=365, description="days a finished export package stays downloadable on "
        "the server (its hash stays in the log); deleted earlier once its recordings are disposed"
    )
    approver_min_days: int = Field(
        7, ge=0, le=365, description="a person approves disposals, hold releases and role "
        "grants only this many days after being created or given their role"
    )


class Settings(BaseModel):
    """All of the archive's configuration; loaded once by the entry point and passed down.

    Constructed directly it holds what it is given; `load_settings` reads the environment
    and the files.
    """

    model_config = STRICT

    home: Path = Field(Path("var"), description="directory holding all local state")
    config_file: Path | None = Field(
        None, description="the explicit TOML file read (--config or AIDREC_CONFIG)")
    catalog_url: str | None = Field(
        None, description="SQLAlchemy URL; default sqlite:///$AIDREC_HOME/catalog.db"
    )
    public_url: str | None = Field(None, description="URL the API is reached at")
    s3: S3Settings = Field(default_factory=S3Settings)  # type: ignore[arg-type]
    signing: SigningSettings = Field(default_factory=SigningSettings)
    tsa: TsaSettings = Field(default_factory=TsaSettings)  # type: ignore[arg-type]
    ports: PortSettings = Field(default_factory=PortSettings)  # type: ignore[arg-type]
    jobs: JobSettings = Field(default_factory=JobSettings)  # type: ignore[arg-type]
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)  # type: ignore[arg-type]

    @property
    def resolved_catalog_url(self) -> str:
        if self.catalog_url:
            return self.catalog_url
        return f"sqlite:///{(self.home / 'catalog.db').resolve()}"

    @property
    def api_url(self) -> str:
        return self.public_url or f"http://127.0.0.1:{self.ports.api}"


def to_toml(settings: Settings) -> str:
    """The settings as a TOML file (secrets included), e.g. for child processes."""
    lines: list[str] = []
    tables: list[tuple[str, BaseModel]] = []
    for name in Settings.model_fields:
        if name == "config_file":  # where these settings came from, not a setting to copy
            continue
        value = getattr(settings, name)
        if isinstance(value, BaseModel):
            tables.append((name, value))
        elif value is not None:
            lines.append(f"{name} = {_toml_value(value)}")
    for table, model in tables:
        lines.append(f"\n[{table}]")
        for name in type(model).model_fields:
            value = getattr(model, name)
            if value is not None:
                lines.append(f"{name} = {_toml_value(value)}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string
