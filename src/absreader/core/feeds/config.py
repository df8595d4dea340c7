"""Where and how politely absreader fetches: base URLs, pacing, timeouts, caps.

Each setting has a default, can be set in the ``[fetch]`` table of
``config.toml`` and is overridden by an environment variable (so mirrors,
proxies and tests can point elsewhere)::

    [fetch]
    arxiv_api_url = "https://export.arxiv.org/api/query"
    arxiv_rss_url = "https://rss.arxiv.org/rss/"
    hf_api_url = "https://huggingface.co/api/daily_papers"
    oai_url = "https://oaipmh.arxiv.org/oai"
    arxiv_delay = 3          # seconds between two requests to arXiv's API or OAI
    timeout = 30             # seconds to connect or to wait for data
    retry_after_max = 120    # longest Retry-After (seconds) honoured before giving up
    max_response_mb = 64     # a larger response is refused

The reader also reads ``fetch_on_start = true`` (off by default: fetch the
subscriptions when the reader opens, if the last fetch is older than
``fetch_every`` hours, default 12) from the same table.

Standard proxy variables (``HTTPS_PROXY``, ``NO_PROXY``...) are honoured by the client.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path


class ConfigError(ValueError):
    """A fetch setting that cannot be used; ``str()`` names it and why."""


@dataclass(frozen=True)
class FetchConfig:
    """Every fetch setting, resolved."""

    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_rss_url: str = "https://rss.arxiv.org/rss/"
    hf_api_url: str = "https://huggingface.co/api/daily_papers"
    oai_url: str = "https://oaipmh.arxiv.org/oai"
    arxiv_delay: float = 3.0
    timeout: float = 30.0
    retry_after_max: float = 120.0
    max_response_mb: float = 64.0
    #: Retries after a 429/503 whose Retry-After is within ``retry_after_max``.
    retries: int = 3
    max_redirects: int = 5
    #: arXiv API results per request (the API allows up to 2000).
    page_size: int = 100

    @property
    def max_bytes(self) -> int:
        return int(self.max_response_mb * 1024 * 1024)


#: Setting name -> environment variable that overrides it.
ENV = {
    "arxiv_api_url": "ABSREADER_ARXIV_API_URL",
    "arxiv_rss_url": "ABSREADER_ARXIV_RSS_URL",
    "hf_api_url": "ABSREADER_HF_API_URL",
    "oai_url": "ABSREADER_OAI_URL",
    "arxiv_delay": "ABSREADER_ARXIV_DELAY",
    "timeout": "ABSREADER_HTTP_TIMEOUT",
    "retry_after_max": "ABSREADER_RETRY_AFTER_MAX",
    "max_response_mb": "ABSREADER_MAX_RESPONSE_MB",
    "page_size": "ABSREADER_ARXIV_PAGE_SIZE",
}
#: Settings the reader uses (``fetch_on_start``, ``fetch_every``) live in the same table.
_READER_KEYS = {"fetch_on_start", "fetch_every"}


def _coerce(name: str, value: object, where: str) -> object:
    default = getattr(FetchConfig, name)
    if isinstance(default, str):
        if not isinstance(value, str) or not value.strip().lower().startswith(("http://", "https://")):
            raise ConfigError(f"{where}: {name} should be an http(s) URL, not {value!r}")
        return value.strip()
    try:
        number = float(value) if isinstance(default, float) else int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ConfigError(f"{where}: {name} should be a number, not {value!r}") from None
    if number < 0 or (name in ("timeout", "max_response_mb", "page_size") and number <= 0):
        raise ConfigError(f"{where}: {name} should be more than 0, not {value!r}")
    return number


def load_fetch_config(
    config_file: Path | None = None, env: Mapping[str, str] | None = None
) -> FetchConfig:
    """The settings from ``config_file``'s ``[fetch]`` table and the environment."""
    env = os.environ if env is None else env
    config = FetchConfig()
    known = {f.name for f in fields(FetchConfig)}
    if config_file is not None:
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            data = {}
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{config_file}: cannot read the [fetch] settings ({exc})") from None
        table = data.get("fetch", {})
        if not isinstance(table, dict):
            raise ConfigError(f"{config_file}: [fetch] should be a table of settings")
        for name, value in table.items():
            if name in _READER_KEYS:
                continue
            if name not in known:
                raise ConfigError(
                    f"{config_file}: unknown setting fetch.{name} (known: {', '.join(sorted(known))})"
                )
            config = replace(config, **{name: _coerce(name, value, str(config_file))})
    for name, variable in ENV.items():
        value = env.get(variable)
        if value is not None and value.strip():
            config = replace(config, **{name: _coerce(name, value, variable)})
    return config


@dataclass(frozen=True)
class StartupFetch:
    """The reader's ``fetch_on_start`` and ``fetch_every`` (hours) settings."""

    enabled: bool = False
    every_hours: float = 12.0


def load_startup_fetch(config_file: Path) -> StartupFetch:
    """``fetch_on_start``/``fetch_every`` from ``config_file``; ConfigError for unusable values."""
    try:
        data = tomllib.loads(config_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return StartupFetch()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{config_file}: cannot read the [fetch] settings ({exc})") from None
    table = data.get("fetch", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{config_file}: [fetch] should be a table of settings")
    enabled = table.get("fetch_on_start", False)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{config_file}: fetch.fetch_on_start should be true or false")
    every = table.get("fetch_every", 12)
    if isinstance(every, bool) or not isinstance(every, int | float) or every < 0:
        raise ConfigError(f"{config_file}: fetch.fetch_every should be a number of hours")
    return StartupFetch(enabled, float(every))
