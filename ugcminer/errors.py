"""One small exception tree. Every message is one sentence that says what to fix.

UgcminerError
├── ConfigError            bad or missing config file / key (names file, key, fix)
├── CredentialsError       a required env var or Prefect Secret block is missing (names it)
├── SourceError            a source failed
│   ├── SourceUnavailable  network/5xx/timeouts exhausted retries
│   ├── RateLimited        429 beyond the miner's patience
│   ├── QuotaExceeded      YouTube daily quota used up (mining stops cleanly for the day)
│   └── BadPayload         a payload could not be understood (item quarantined, run goes on)
├── StoreError             database problems
└── ModelError             model files missing/incompatible, bad input files for classify/evaluate
"""

from __future__ import annotations


class UgcminerError(Exception):
    """Base of every error ugcminer raises on purpose."""


class ConfigError(UgcminerError):
    """The config file is missing, unreadable or invalid."""


class CredentialsError(UgcminerError):
    """A credential is missing; the message names the environment variable or Secret block."""


class SourceError(UgcminerError):
    """A source (Reddit, YouTube) failed."""


class SourceUnavailable(SourceError):
    """The source could not be reached after retries."""


class RateLimited(SourceError):
    """The source kept answering 429."""


class QuotaExceeded(SourceError):
    """The YouTube daily quota is used up."""


class BadPayload(SourceError):
    """A payload could not be parsed into a Mention."""


class StoreError(UgcminerError):
    """The store could not complete an operation."""


class ModelError(UgcminerError):
    """A model or its input could not be used."""
