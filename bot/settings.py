"""Settings, read once: env ``SITREP_*`` over ``config/default.toml`` over built-in defaults."""

from __future__ import annotations

import dataclasses
import logging
import os
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from index.embeddings import DEFAULT_MODEL
from index.errors import SitrepError
from index.search.retrieve import SearchConfig
from index.vectors.factory import BACKENDS

_SEARCH = SearchConfig()

PROJECT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.toml"


class SettingsError(SitrepError):
    """A setting is missing or has a value Sitrep cannot use; the message names it."""


class Secret:
    """A secret value (a token) that never shows in logs, reprs or tracebacks."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        """The secret itself, for the one place that needs it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class Settings:
    """Every setting Sitrep reads. A TOML ``[section] key`` is the field ``section_key``;
    its environment variable is ``SITREP_SECTION_KEY``."""

    data_dir: Path = Path("data")
    model: str = DEFAULT_MODEL
    vector_index: str = "faiss"
    log_level: str = "WARNING"
    hf_offline: bool = True

    # How questions are answered: the defaults live with the search itself.
    ask_top_k: int = _SEARCH.top_k
    ask_max_k: int = _SEARCH.max_k
    ask_threshold: float = _SEARCH.threshold
    ask_lexical_weight: float = _SEARCH.lexical_weight
    ask_dense_candidates: int = _SEARCH.dense_candidates
    ask_lexical_candidates: int = _SEARCH.lexical_candidates
    ask_max_question_chars: int = _SEARCH.max_question_chars

    ingest_batch_passages: int = 256
    ingest_max_document_mb: float = 20.0  # MiB (2**20 bytes), as the messages print it
    ingest_timeout_s: float = 20.0  # one deadline per download, redirects included
    ingest_user_agent: str = "Sitrep/0.1 (situation-monitoring bot)"
    ingest_summary_words: int = 120

    places_scope: tuple[str, ...] = ("UA", "RU", "BY", "MD")
    places_radius_km: float = 15.0
    places_in_radius_km: float = 5.0
    places_min_confidence: float = 0.5
    places_cache: Path | None = None
    places_overrides: Path = PROJECT_CONFIG.parent / "places.toml"

    telegram_token: Secret | None = None
    telegram_api_url: str = "https://api.telegram.org"
    # Fetch URLs sent from chats (/ingest, /addfeed) even when they resolve to private
    # addresses; off by default, so chat users cannot reach the bot's own network.
    telegram_allow_private_urls: bool = False

    # Telegram user ids that may use the admin commands; chats that may use the bot (empty:
    # every chat).
    admins: tuple[int, ...] = ()
    allowed_chats: tuple[int, ...] = ()

    # Webhook mode: set the public HTTPS URL Telegram posts updates to.
    webhook_url: str = ""
    webhook_secret: Secret | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = 8443

    digest_tick_s: float = 60.0
    feeds_file: Path = PROJECT_CONFIG.parent / "feeds.toml"
    feeds_interval_min: float = 15.0
    feeds_tick_s: float = 60.0

    def __post_init__(self) -> None:
        positive = [f.name for f in fields(self) if f.type in ("int", "float")]
        for name in positive:
            if name != "ask_threshold" and getattr(self, name) <= 0:
                raise SettingsError(f"{name} must be positive, got {getattr(self, name)}")
        if not 0.0 <= self.ask_lexical_weight <= 1.0:
            raise SettingsError(
                f"ask_lexical_weight must be in [0, 1], got {self.ask_lexical_weight}"
            )
        if self.ask_top_k > self.ask_max_k:
            raise SettingsError(
                f"ask_top_k ({self.ask_top_k}) exceeds ask_max_k ({self.ask_max_k})"
            )
        if not self.places_scope or not all(len(c) == 2 and c.isalpha() for c in self.places_scope):
            raise SettingsError(
                f"places_scope must be two-letter country codes, got {self.places_scope!r}"
            )
        if self.log_level.upper() not in logging.getLevelNamesMapping():
            raise SettingsError(
                f"log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL, got {self.log_level!r}"
            )
        if self.vector_index not in BACKENDS:
            known = " or ".join(repr(kind) for kind in sorted(BACKENDS))
            raise SettingsError(f"vector_index must be {known}, got {self.vector_index!r}")

    @property
    def db_path(self) -> Path:
        """The SQLite database, the source of truth."""
        return self.data_dir / "sitrep.sqlite3"

    @property
    def gazetteer_cache(self) -> Path:
        """The compiled gazetteer (rebuilt whenever its sources change)."""
        return self.places_cache or self.data_dir / "gazetteer.bin"

    @property
    def gazetteer_dir(self) -> Path:
        """GeoNames dumps added with ``sitrep gazetteer load``."""
        return self.data_dir / "gazetteer"

    @property
    def index_path(self) -> Path:
        """The vector index file, a cache of the vectors in SQLite."""
        return self.data_dir / ("vectors.faiss" if self.vector_index == "faiss" else "vectors.npz")

    @classmethod
    def load(
        cls,
        env: Mapping[str, str] | None = None,
        config_file: Path | None = None,
        **overrides: Any,
    ) -> Settings:
        """Defaults, then the TOML file, then ``SITREP_*`` variables, then ``overrides``.

        ``config_file`` defaults to ``$SITREP_CONFIG`` or the project's ``config/default.toml``.
        """
        env = os.environ if env is None else env
        known = {f.name: f for f in fields(cls)}
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        path = config_file or (Path(env["SITREP_CONFIG"]) if env.get("SITREP_CONFIG") else None)
        if path is None and PROJECT_CONFIG.exists():
            path = PROJECT_CONFIG
        if path is not None:
            for name, raw in _flatten(_read_toml(path)).items():
                if name not in known:
                    raise SettingsError(f"{path}: unknown setting {name!r}")
                values[name] = _coerce(name, hints[name], raw, str(path))
        for name in known:
            var = f"SITREP_{name.upper()}"
            if var in env:
                values[name] = _coerce(name, hints[name], env[var], var)
        for name, raw in overrides.items():
            if raw is not None:
                values[name] = _coerce(name, hints[name], raw, f"--{name.replace('_', '-')}")
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)


def apply_offline_mode(settings: Settings) -> None:
    """Keep the Hugging Face libraries off the network when the model is bundled."""
    if settings.hf_offline:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def apply_telegram_env() -> None:
    """python-telegram-bot v22: durations as timedelta (its announced default), not seconds."""
    os.environ.setdefault("PTB_TIMEDELTA", "1")


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file {path} does not exist") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}") from exc


def _flatten(doc: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            for sub, inner in value.items():
                out[f"{key}_{sub}"] = inner
        else:
            out[key] = value
    return out


def _coerce(name: str, hint: Any, raw: Any, where: str) -> Any:
    """Convert ``raw`` (TOML value or env string) to the field's type, or say what is wrong."""
    kinds = (
        [a for a in typing.get_args(hint) if a is not type(None)] if _is_optional(hint) else [hint]
    )
    kind = kinds[0]
    try:
        if kind is bool:
            if isinstance(raw, bool):
                return raw
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off"):
                return False
            raise ValueError("expected true or false")
        if kind is int:
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError("expected a whole number")
            return int(raw)
        if kind is float:
            return float(raw)
        if kind is Path:
            return Path(str(raw)).expanduser()
        if kind is Secret:
            return Secret(str(raw)) if str(raw) else None
        if typing.get_origin(kind) is tuple:
            items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
            if typing.get_args(kind)[0] is int:
                return tuple(int(str(i).strip()) for i in items if str(i).strip())
            return tuple(str(i).strip().upper() for i in items if str(i).strip())
        return str(raw)
    except (TypeError, ValueError) as exc:
        raise SettingsError(f"{where}: bad value for {name}: {raw!r} ({exc})") from exc


def _is_optional(hint: Any) -> bool:
    return isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union
