"""The project settings file, ``planadmin.toml``: what a scheduled night runs with.

Every command line option of ``planadmin run`` and ``planadmin serve`` has its default here, so a served
deployment's nightly runs need no arguments; an option given on the command line wins. The file is optional
(without it the built-in defaults below apply) and strict like a plan file: an unknown key or a bad value is a
configuration error naming the file and the key. Secrets never go here: SFTP passwords and S3 keys come from the
environment (see :mod:`pipelines.inbox`); a key *file's path* may.

>>> s = parse_settings_text('[schedule]\\ncron = "30 1 * * 1-5"\\n', "planadmin.toml")
>>> s.schedule.cron, s.schedule.timezone, s.run.wait_seconds
('30 1 * * 1-5', 'America/New_York', 300)
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError
from pydantic import BaseModel, ConfigDict, Field, field_validator

from schemas.plan import PlanConfigError, parse_toml_model

SETTINGS_FILE = Path("planadmin.toml")
#: Any date: cronsim needs a start to parse an expression.
_EPOCH = datetime(2000, 1, 1)


class SettingsError(PlanConfigError):
    """A settings file that cannot be used; the message names the file and what is wrong."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class RunSettings(_Strict):
    """Where a night reads and writes."""

    #: A local folder, or an fsspec URL (``sftp://user@host:22/path``, ``s3://bucket/prefix``, ``file:///path``).
    inbox: str = "INBOX"
    plans: str = "PLANS"
    db: str = "planadmin.duckdb"
    #: Where each run's morning report goes, as ``<as-of date>.md`` and ``.json``.
    report_dir: str = "reports"
    #: How long a run waits for a database another process holds before it gives up (exit 1).
    wait_seconds: int = Field(default=300, ge=0)


class ScheduleSettings(_Strict):
    """When ``planadmin serve`` runs the night. ``--as-of`` of a scheduled run is the scheduled date in this
    time zone, not the machine's UTC date: a 02:00 New York run is still that date's night."""

    cron: str = "0 2 * * *"
    timezone: str = "America/New_York"
    #: The Prefect deployment's name (the flow is ``nightly``).
    deployment: str = "planadmin-nightly"

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        try:
            CronSim(value, _EPOCH)
        except CronSimError as exc:
            raise ValueError(f"not a cron expression ({exc})") from None
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("not an IANA time zone name such as America/New_York") from None
        return value


class InboxSettings(_Strict):
    """A remote inbox (an fsspec URL): how a night tells a finished file from one still being written, and
    what it does with a remote file once handled."""

    #: A file modified less than this long before the run is left for the next run.
    quiet_seconds: int = Field(default=120, ge=0)
    #: The pause between the two looks at every file's size and modification time.
    look_interval_seconds: int = Field(default=5, ge=0)
    #: Move a posted (or already posted) file to ``processed/`` and a file rejected whole to ``rejected/``
    #: beside it on the remote side, the batch id in its name.
    archive: bool = False
    #: The SSH private key for an ``sftp://`` inbox (``PLANADMIN_SFTP_KEY_FILE`` overrides it).
    key_file: str | None = None
    #: Where remote files are copied before processing (a folder per run, removed when the run ends).
    staging_dir: str = ".planadmin-staging"
    #: After a transient error (a dropped connection, a timeout, throttling), wait this long and try again, once
    #: per delay; then the night fails, the files left for the next run.
    retry_delays_seconds: tuple[int, ...] = (2, 8, 30)

    @field_validator("retry_delays_seconds", mode="before")
    @classmethod
    def _delays(cls, value: object) -> object:
        # TOML gives a list; the model is frozen, so a tuple (strict mode takes no list for a tuple otherwise)
        return tuple(value) if isinstance(value, list) else value

    @field_validator("retry_delays_seconds")
    @classmethod
    def _non_negative(cls, value: tuple[int, ...]) -> tuple[int, ...]:
        if any(delay < 0 for delay in value) or len(value) > 10:
            raise ValueError("at most 10 delays, none negative")
        return value


class Settings(_Strict):
    run: RunSettings = RunSettings()
    schedule: ScheduleSettings = ScheduleSettings()
    inbox: InboxSettings = InboxSettings()


def parse_settings_text(text: str, source: str) -> Settings:
    return parse_toml_model(text, source, Settings, SettingsError)


def load_settings(path: Path | None = None) -> Settings:
    """``path``, or ``./planadmin.toml`` when there is one, or the defaults. A path given but missing is an
    error: a typo must not silently run with the defaults."""
    if path is None:
        if not SETTINGS_FILE.is_file():
            return Settings()
        path = SETTINGS_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read the settings file: {exc}") from None
    return parse_settings_text(text, str(path))
