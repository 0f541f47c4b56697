"""Configuration of every package, read one way (see `loader`) and passed down explicitly."""

from archive.settings.layers import LOCAL_CONFIG_NAME
from archive.settings.loader import Section, load_section, load_settings
from archive.settings.models import (
    ArchiveSettings,
    JobSettings,
    PortSettings,
    S3Settings,
    Settings,
    SigningSettings,
    TsaSettings,
    to_toml,
)

__all__ = [
    "LOCAL_CONFIG_NAME",
    "ArchiveSettings",
    "JobSettings",
    "PortSettings",
    "S3Settings",
    "Section",
    "Settings",
    "SigningSettings",
    "TsaSettings",
    "load_section",
    "load_settings",
    "to_toml",
]
