"""One settings object for every ``BATON_*`` variable; nothing else reads the environment."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared import kept_secrets

TELEGRAM_API_URL = "https://api.telegram.org/bot"


MIN_TOKEN_LENGTH = 32
# Words of placeholders; six letters or more, so that a random token has them by chance
# about once in ten million.
PLACEHOLDERS = ("change", "replace", "example", "placeholder", "secret", "password")


def weak_token(token: str) -> str | None:
    """Why ``token`` is too weak to be the admin key, or None if it is strong enough.

    It must be at least 32 characters, not a placeholder (``CHANGE-ME…``), and look
    random: 16 or more different characters, as any generated token has.
    """
    if len(token) < MIN_TOKEN_LENGTH:
        return f"too short: {len(token)} characters, at least {MIN_TOKEN_LENGTH} random ones"
    lowered = token.lower()
    if any(word in lowered for word in PLACEHOLDERS):
        return "looks like a placeholder, not a random token"
    if len(set(token)) < 16:
        return "not random enough: too few different characters"
    return None


class SettingsError(ValueError):
    """A ``BATON_*`` variable has a value Baton cannot use."""


class TokenOrigin(StrEnum):
    """Where the HTTP API's token came from."""

    ENV = "env"  # BATON_API_TOKEN; never written anywhere
    KEPT = "kept"  # generated at an earlier start, read from the data dir
    GENERATED = "generated"  # generated now and written to the data dir


class Settings(BaseSettings):
    """Configuration read once at start from ``BATON_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="BATON_", extra="ignore", frozen=True)

    data_dir: Path = Path("./var")
    redis_url: str | None = None
    database_url: str | None = None
    telegram_token: str | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    telegram_bot_username: str = Field(default="baton_dev_bot", pattern=r"^[A-Za-z0-9_]{3,64}$")
    telegram_webhook_url: str | None = None
    telegram_webhook_port: int = Field(default=8443, ge=0, le=65535)
    telegram_webhook_secret: str | None = None
    api_token: str | None = None
    # Rate limits per API key: class=rate pairs over the defaults (shared/http/limits.py).
    rate_limits: str = ""
    pickup_key: str | None = Field(default=None, min_length=16)
    # Routing and offers.
    offer_timeout_s: int = Field(default=600, ge=10, le=86_400)
    max_service_radius_km: float = Field(default=300.0, gt=0, le=5_000)
    routing_max_attempts: int = Field(default=5, ge=1, le=100)
    routing_rules: str = ""  # comma-separated rule names in order; empty: the default pipeline
    grab_regions: str = ""  # comma-separated regions that offer to several dealers at once
    grab_k: int = Field(default=3, ge=2, le=20)
    order_size_min_qty: int | None = Field(default=None, ge=1)
    # Broadcasts: one reminder to stores that have not acknowledged a rule after this long.
    ack_reminder_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    # Dealers whose stock counts are older than this many days get a reminder (0: never).
    stock_reminder_days: int = Field(default=3, ge=0, le=365)
    # Customers' names, phones and streets are cleared this many days after their order ends.
    pii_retention_days: int = Field(default=90, ge=1, le=3650)

    order_webhook_url: str | None = None
    order_webhook_secret: str | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=8080, ge=0, le=65535)
    # Where people reach the API from their browsers: the console's sign-in links point
    # here (default: http://BATON_HTTP_HOST:BATON_HTTP_PORT).
    public_url: str | None = None
    emulator_port: int = Field(default=8081, ge=0, le=65535)

    # Bus tuning.
    stream_maxlen: int = Field(default=100_000, ge=100)
    max_deliveries: int = Field(default=5, ge=1, le=100)
    claim_idle_ms: int = Field(default=30_000, ge=100)
    retry_base_ms: int = Field(default=200, ge=1)
    block_ms: int = Field(default=2_000, ge=1, le=60_000)
    # Entries a consumer reads at once and applies in one transaction.
    consumer_batch: int = Field(default=32, ge=1, le=1_000)
    outbox_poll_ms: int = Field(default=500, ge=10)
    timer_poll_ms: int = Field(default=500, ge=10)
    log_level: str = "INFO"
    # HQ's time zone: promotion windows typed without an offset are read in it.
    hq_timezone: str = "Asia/Shanghai"
    # Settlement: the return window, the time zone of periods and statements, when the
    # weekly statements run (crontab), split rules (JSON) and provider commissions.
    return_window_days: int = Field(default=7, ge=0, le=365)
    settlement_tz: str = "Asia/Shanghai"
    statement_cron: str = "0 9 * * mon"
    split_rules: str = ""
    provider_commission: str = ""  # channel=percent, comma-separated

    @field_validator("api_token")
    @classmethod
    def _strong_token(cls, value: str | None) -> str | None:
        if value:
            problem = weak_token(value)
            if problem:
                raise ValueError(f"{problem}; unset it and `baton up` generates a strong one")
        return value or None

    @field_validator("rate_limits")
    @classmethod
    def _limits(cls, value: str) -> str:
        from shared.http.limits import parse_limits

        parse_limits(value)  # a ValueError names the bad pair
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must start with redis://, rediss:// or unix://")
        return value or None

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str | None) -> str | None:
        if value and not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError("must start with sqlite+aiosqlite:// or postgresql+asyncpg://")
        return value or None

    @field_validator("telegram_api_url", "telegram_webhook_url", "order_webhook_url", "public_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value or None

    @field_validator("hq_timezone", "settlement_tz")
    @classmethod
    def _zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}; e.g. Asia/Shanghai") from None
        return value

    @field_validator("statement_cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        try:
            CronTrigger.from_crontab(value, timezone="UTC")
        except ValueError as exc:
            raise ValueError(f"not a crontab line ({exc}); e.g. 0 9 * * mon") from None
        return value

    @field_validator("log_level")
    @classmethod
    def _level(cls, value: str) -> str:
        level = value.upper()
        if level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be DEBUG, INFO, WARNING or ERROR")
        return level

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in force: the configured one or a SQLite file in the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'baton.db').resolve()}"

    @property
    def console_url(self) -> str:
        """The console's address as people's browsers reach it."""
        base = self.public_url or f"http://{self.http_host}:{self.http_port}"
        return base.rstrip("/") + "/console"

    @property
    def uses_emulator(self) -> bool:
        """True when no Telegram token is set and the built-in Bot API emulator stands in."""
        return not self.telegram_token

    @property
    def api_token_file(self) -> Path:
        """Where a generated API token is kept: ``api-token`` in the data dir."""
        return self.data_dir / kept_secrets.API_TOKEN_FILE

    def resolve_api_token(self) -> tuple[Settings, TokenOrigin]:
        """These settings with an API token, and where it came from.

        ``BATON_API_TOKEN`` if set; else the token kept in the data dir; else a new one,
        written there with mode 0600 so that the next start uses it again.
        """
        if self.api_token:
            return self, TokenOrigin.ENV
        try:
            token, new = kept_secrets.load_or_create(self.api_token_file)
        except (kept_secrets.SecretFileError, OSError) as exc:
            raise SettingsError(f"BATON_API_TOKEN: not set, and the kept token: {exc}") from None
        problem = weak_token(token)
        if problem:
            raise SettingsError(
                f"BATON_API_TOKEN: not set, and the token kept in {self.api_token_file} is "
                f"{problem}; delete the file and a strong one is made at start"
            )
        origin = TokenOrigin.GENERATED if new else TokenOrigin.KEPT
        return self.model_copy(update={"api_token": token}), origin

    def resolve_pickup_key(self) -> bytes:
        """The key pickup codes are hashed under: ``BATON_PICKUP_KEY``, else ``pickup-key``.

        The file in the data dir is generated once (mode 0600) when neither exists, which
        serves every process sharing that dir; processes on separate disks need the
        variable, or their hashes would not verify (``PickupKeyMismatch`` says so).
        """
        if self.pickup_key:
            return self.pickup_key.encode()
        try:
            key, _new = kept_secrets.load_or_create(self.data_dir / kept_secrets.PICKUP_KEY_FILE)
        except (kept_secrets.SecretFileError, OSError) as exc:
            raise SettingsError(f"BATON_PICKUP_KEY: not set, and the kept key: {exc}") from None
        return key.encode()

    def with_api_token(self) -> Settings:
        """These settings with an API token (see ``resolve_api_token``)."""
        return self.resolve_api_token()[0]


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning a bad value into one message naming each variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = ".".join(str(part) for part in error["loc"])
            problems.append(f"BATON_{field.upper()}: {error['msg']}")
        raise SettingsError("bad configuration: " + "; ".join(problems)) from None
