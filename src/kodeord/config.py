"""One Settings object for the gateway, from command-line flags with env fallbacks.

| setting | flag | env | default |
|---|---|---|---|
| HTTP listen address | `--http` | `KODEORD_HTTP` | 127.0.0.1:8080 |
| customers' SMPP server | `--smpp` (`off`), `--no-smpp` | `KODEORD_SMPP` (`off`) | 127.0.0.1:2775 |
| database URL | `--database-url` | `KODEORD_DATABASE_URL` | sqlite:///var/kodeord.db |
| admin token (32+ characters) | – | `KODEORD_ADMIN_TOKEN` | generated into var/admin-token |
| simulator on/off | `--simulator`, `--no-simulator` | `KODEORD_SIMULATOR` (`0`, `1`) | on |
| simulator SMPP | `--simulator-smpp` | `KODEORD_SIMULATOR_SMPP` | 127.0.0.1:2776 |
| simulator control API | `--simulator-http` | `KODEORD_SIMULATOR_HTTP` | 127.0.0.1:8081 |
| key(s) sealing stored secrets | – | `KODEORD_SECRET_KEY` | generated into var/secret.key |
| /metrics token (or the admin token) | – | `KODEORD_METRICS_TOKEN` | – |
| /metrics without a token | – | `KODEORD_METRICS_PUBLIC=1` | off |
| customers' SMPP server limits | – | `KODEORD_SMPP_*` (`SmppLimits` below) | docs/smpp.md |
| sending rate per API key, recipients/s | – | `KODEORD_SEND_RATE` | 100 |
| sending burst per API key, recipients | – | `KODEORD_SEND_BURST` | 2000 |
| message retention, days (0: forever; docs/privacy.md) | – | `KODEORD_RETENTION_DAYS` | 90 |
| log format: `json`, `console`, `auto` | – | `KODEORD_LOG_FORMAT` | auto (console on a terminal) |
| log level | – | `KODEORD_LOG_LEVEL` | info |

Log settings are read by `kodeord.logs.settings_from_env`, before the others. On the
command line Typer reads the variables of the flags (`kodeord serve --help` shows each);
`Settings.load` reads the same ones for callers that pass no flag.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kodeord.domain.ratelimit import DEFAULT_SEND_LIMIT, Limit

DEFAULT_HTTP = "127.0.0.1:8080"
DEFAULT_SMPP = "127.0.0.1:2775"
DEFAULT_DATABASE_URL = "sqlite:///var/kodeord.db"
DEFAULT_SIMULATOR_SMPP = "127.0.0.1:2776"
DEFAULT_SIMULATOR_HTTP = "127.0.0.1:8081"
ADMIN_TOKEN_FILE = Path("var/admin-token")


class SettingsError(ValueError):
    """A setting has a value we cannot use; the message says which and why."""


@dataclass(frozen=True, slots=True)
class HostPort:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_host_port(text: str, what: str) -> HostPort:
    host, sep, port = text.rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise SettingsError(f"{what} must be HOST:PORT, e.g. 127.0.0.1:8080 (got {text!r})")
    return HostPort(host.strip("[]"), int(port))


@dataclass(frozen=True, slots=True)
class SimulatorAddresses:
    smpp: HostPort
    http: HostPort


@dataclass(frozen=True, slots=True)
class SmppLimits:
    """What one peer may cost the customers' SMPP server (adapters/smpp_io/server.py)."""

    max_connections: int = 1000
    max_connections_per_ip: int = 50
    bind_timeout: float = 10.0  # seconds from connect to bind
    pdu_timeout: float = 10.0  # seconds from a PDU's first octet to its last
    lockout_failures: int = 10  # failed binds per IP / system_id before a lockout
    lockout_seconds: float = 300.0  # the first lockout; each next one in a row doubles
    password_checks: int = 1  # scrypt checks running at once

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmppLimits:
        """Each field from `KODEORD_SMPP_<FIELD>` when set (e.g. KODEORD_SMPP_PDU_TIMEOUT)."""
        defaults = cls()
        values: dict[str, int | float] = {}
        for name in cls.__dataclass_fields__:
            env_name = f"KODEORD_SMPP_{name.upper()}"
            if (text := env.get(env_name)) is not None:
                whole = isinstance(getattr(defaults, name), int)
                values[name] = _positive(text, env_name, whole=whole)
        return cls(**values)  # type: ignore[arg-type]


def _positive(text: str, env_name: str, *, whole: bool) -> int | float:
    try:
        value: int | float = int(text) if whole else float(text)
    except ValueError:
        value = 0
    if not 0 < value <= 10**6:
        kind = "a whole number" if whole else "a number of seconds"
        raise SettingsError(f"{env_name} must be {kind} above 0 (got {text!r})")
    return value


@dataclass(frozen=True, slots=True)
class Settings:
    http: HostPort
    database_url: str
    admin_token: str | None = field(repr=False)
    simulator: SimulatorAddresses | None
    smpp: HostPort | None = None  # the customers' SMPP server; None: not started
    quarantine_days: int = 30  # a released keyword is held for its last holder this long
    secret_key: str | None = field(default=None, repr=False)  # docs/secrets.md
    metrics_token: str | None = field(default=None, repr=False)
    metrics_public: bool = False
    smpp_limits: SmppLimits = field(default_factory=SmppLimits)
    send_limit: Limit = DEFAULT_SEND_LIMIT  # per API key (app/send_limits.py)
    retention_days: int = 90  # then ended messages lose text and phone number; 0: never

    @classmethod
    def load(
        cls,
        http: str | None = None,
        database_url: str | None = None,
        simulator: bool | None = None,
        simulator_smpp: str | None = None,
        simulator_http: str | None = None,
        smpp: str | None = None,
        no_smpp: bool = False,
    ) -> Settings:
        env = os.environ
        if simulator is None:
            simulator = env.get("KODEORD_SIMULATOR", "1").lower() not in ("0", "false", "no")
        addresses = None
        if simulator:
            sim_smpp = simulator_smpp or env.get("KODEORD_SIMULATOR_SMPP") or DEFAULT_SIMULATOR_SMPP
            control = simulator_http or env.get("KODEORD_SIMULATOR_HTTP") or DEFAULT_SIMULATOR_HTTP
            addresses = SimulatorAddresses(
                parse_host_port(sim_smpp, "--simulator-smpp"),
                parse_host_port(control, "--simulator-http"),
            )
        return cls(
            http=parse_host_port(http or env.get("KODEORD_HTTP") or DEFAULT_HTTP, "--http"),
            database_url=database_url or env.get("KODEORD_DATABASE_URL") or DEFAULT_DATABASE_URL,
            admin_token=_admin_token(env.get("KODEORD_ADMIN_TOKEN") or None),
            simulator=addresses,
            smpp=_smpp_address(smpp, no_smpp),
            quarantine_days=_quarantine_days(env.get("KODEORD_QUARANTINE_DAYS", "30")),
            secret_key=env.get("KODEORD_SECRET_KEY") or None,
            metrics_token=env.get("KODEORD_METRICS_TOKEN") or None,
            metrics_public=env.get("KODEORD_METRICS_PUBLIC", "") == "1",
            smpp_limits=SmppLimits.from_env(env),
            send_limit=_send_limit(env),
            retention_days=_retention_days(env.get("KODEORD_RETENTION_DAYS", "90")),
        )

    @property
    def embedded(self) -> bool:
        return self.database_url.startswith("sqlite")


MIN_ADMIN_TOKEN_LENGTH = 32


def _admin_token(token: str | None) -> str | None:
    """The token as given, if it is long enough to resist guessing; the message never
    repeats it."""
    if token is None:
        return None
    if any(char.isspace() or not char.isprintable() for char in token):
        raise SettingsError("KODEORD_ADMIN_TOKEN must not contain spaces or control characters")
    if len(token) < MIN_ADMIN_TOKEN_LENGTH:
        raise SettingsError(
            f"KODEORD_ADMIN_TOKEN must be at least {MIN_ADMIN_TOKEN_LENGTH} characters "
            f"(it has {len(token)}); make one with `openssl rand -base64 33`"
        )
    return token


def _send_limit(env: Mapping[str, str]) -> Limit:
    """The sending limit per API key unless the admin set a customer's own."""
    rate_text = env.get("KODEORD_SEND_RATE") or str(DEFAULT_SEND_LIMIT.rate)
    burst_text = env.get("KODEORD_SEND_BURST") or str(DEFAULT_SEND_LIMIT.burst)
    try:
        rate = float(rate_text)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 10**6:  # NaN fails too
        raise SettingsError(
            f"KODEORD_SEND_RATE must be recipients a second, above 0 (got {rate_text!r})"
        )
    if not burst_text.isdigit() or not 1 <= int(burst_text) <= 10**6:
        raise SettingsError(
            f"KODEORD_SEND_BURST must be a whole number of recipients, 1 to 1000000"
            f" (got {burst_text!r})"
        )
    return Limit(rate, int(burst_text))


def _quarantine_days(text: str) -> int:
    if not text.isdigit() or int(text) > 365:
        raise SettingsError(f"KODEORD_QUARANTINE_DAYS must be 0 to 365 days (got {text!r})")
    return int(text)


def _retention_days(text: str) -> int:
    if not text.strip().isdigit() or int(text) > 3650:
        raise SettingsError(
            f"KODEORD_RETENTION_DAYS must be 0 (keep forever) to 3650 days (got {text!r})"
        )
    return int(text)


def _smpp_address(flag: str | None, off: bool) -> HostPort | None:
    """`--smpp` (or KODEORD_SMPP) as HOST:PORT; `off` (or `--no-smpp`): no server.

    The CLI passes KODEORD_SMPP on as the flag's value, so `off` counts in the flag too.
    """
    text = flag or os.environ.get("KODEORD_SMPP") or DEFAULT_SMPP
    if off or text.lower() in ("off", "0", "false", "no"):
        return None
    return parse_host_port(text, "--smpp")


def local_admin_token(path: Path = ADMIN_TOKEN_FILE) -> str:
    """The embedded default's admin token: made once, kept in var/ (mode 0600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    token = "kadm_" + secrets.token_urlsafe(32)
    path.touch(mode=0o600)
    path.write_text(token + "\n")
    return token
