"""Fault injection for the emulator, parsed from a short spec string and deterministic with a seed.

Spec: comma-separated rules, each one of

    KIND:RATE        fire on each eligible call with probability RATE      "429:0.1"
    KIND@N           fire on every eligible call after the first N         "quota_exceeded@5"
    KINDxN           fire on the next N eligible calls                     "429x3"
    KIND=V1|V2       a targeted fault for the API module (ids)             "comments_disabled=VIDEOID"
    KIND             fire on every eligible call                           "503"
    seed=N           the random seed (default 0)
    delay=SECONDS    how long a `timeout` response stalls (default 3.0)
    retry_after=N    the retry-after header of injected 429s (default 4, as recorded)

KIND may carry an endpoint scope after `~`: "500~youtube:x2" fires only on endpoints whose key starts
with "youtube:"; "429~reddit:token:1" is the only way to hit the OAuth token endpoint (which is never
faulted unless a rule names it).

Generic kinds, applied by the server to any endpoint: `429`, `500`, `502`, `503`, `timeout` (the response
stalls past the client's timeout), `cut` (a Content-Length larger than the body, then the connection
closes), `malformed` (a 200 with a broken JSON body). Source-specific kinds (`quota_exceeded`,
`comments_disabled`, ...) are asked for by the API modules through `fires()` and `targets()`.
Every fired fault is counted in `Counters.faults` by the caller.
"""

from __future__ import annotations

import random
import re
import threading
from dataclasses import dataclass, field

GENERIC_KINDS = ("429", "500", "502", "503", "timeout", "cut", "malformed")
TOKEN_ENDPOINT = "reddit:token"

_COUNT = re.compile(r"^(?P<kind>.+?)x(?P<n>\d+)$")
_AFTER = re.compile(r"^(?P<kind>.+?)@(?P<n>\d+)$")
_RATE = re.compile(r"^(?P<kind>.+):(?P<rate>\d*\.?\d+)$")


@dataclass
class FaultRule:
    """One rule of a spec."""

    kind: str
    scope: str = ""  # endpoint key prefix; "" = every endpoint except the token endpoint
    rate: float | None = None
    after: int | None = None
    remaining: int | None = None  # for KINDxN
    targets: frozenset[str] = frozenset()
    seen: int = 0  # eligible calls so far

    def applies_to(self, endpoint: str) -> bool:
        """Whether `endpoint` is eligible for this rule."""
        if endpoint == TOKEN_ENDPOINT and not self.scope.startswith(TOKEN_ENDPOINT):
            return False
        return endpoint.startswith(self.scope)

    def decide(self, rng: random.Random) -> bool:
        """Count one eligible call and say whether the fault fires on it."""
        self.seen += 1
        if self.targets:
            return False
        if self.remaining is not None:
            return self.remaining > 0  # consumed only when chosen (`consume`)
        if self.after is not None:
            return self.seen > self.after
        if self.rate is not None:
            return rng.random() < self.rate
        return True

    def consume(self) -> None:
        """The rule's fault was injected: count it off a `KINDxN` budget."""
        if self.remaining is not None:
            self.remaining -= 1


def parse_rule(text: str) -> FaultRule:
    """Parse one rule (see the module docstring)."""
    text = text.strip()
    if "=" in text:
        kind, _, values = text.partition("=")
        rule = FaultRule(
            kind=kind.strip(), targets=frozenset(v.strip() for v in values.split("|") if v.strip())
        )
    elif m := _COUNT.match(text):
        rule = FaultRule(kind=m["kind"], remaining=int(m["n"]))
    elif m := _AFTER.match(text):
        rule = FaultRule(kind=m["kind"], after=int(m["n"]))
    elif m := _RATE.match(text):
        rate = float(m["rate"])
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"fault rule {text!r}: the rate must be between 0 and 1")
        rule = FaultRule(kind=m["kind"], rate=rate)
    else:
        rule = FaultRule(kind=text)
    kind, _, scope = rule.kind.partition("~")
    if not kind or not re.fullmatch(r"[A-Za-z0-9_]+", kind):
        raise ValueError(f"fault rule {text!r}: expected KIND:RATE, KIND@N, KINDxN or KIND=ID (e.g. 429:0.1)")
    rule.kind, rule.scope = kind, scope
    return rule


@dataclass
class FaultSpec:
    """Parsed fault rules plus the seeded random source; mutable at run time (`enabled`, `set`)."""

    rules: list[FaultRule] = field(default_factory=list)
    seed: int = 0
    delay_s: float = 3.0
    retry_after: int = 4
    enabled: bool = True

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str | FaultSpec | None) -> FaultSpec:
        """A FaultSpec from a spec string (None or "" = no faults)."""
        if isinstance(spec, FaultSpec):
            return spec
        rules: list[FaultRule] = []
        settings = {"seed": 0, "delay": 3.0, "retry_after": 4}
        for part in (spec or "").split(","):
            part = part.strip()
            if not part:
                continue
            name, _, value = part.partition("=")
            if name in settings:
                try:
                    settings[name] = type(settings[name])(value)
                except ValueError:
                    raise ValueError(f"fault setting {part!r}: {value!r} is not a number") from None
            else:
                rules.append(parse_rule(part))
        return cls(
            rules=rules,
            seed=int(settings["seed"]),
            delay_s=float(settings["delay"]),
            retry_after=int(settings["retry_after"]),
        )

    def set(self, spec: str | None) -> None:
        """Replace the rules (and seed/delay) from a spec string, e.g. in the middle of a test."""
        other = FaultSpec.parse(spec)
        with self._lock:
            self.rules, self.seed, self.delay_s = other.rules, other.seed, other.delay_s
            self.retry_after = other.retry_after
            self._rng = random.Random(self.seed)

    def pick_generic(self, endpoint: str) -> str | None:
        """The generic fault to inject on this call to `endpoint`, or None."""
        return self._pick(endpoint, GENERIC_KINDS)

    def fires(self, kind: str, endpoint: str = "") -> bool:
        """Whether the source-specific fault `kind` fires on this call (for API modules)."""
        return self._pick(endpoint, (kind,)) is not None

    def targets(self, kind: str) -> frozenset[str]:
        """The ids named by `KIND=ID|ID` rules of `kind` (e.g. videos with comments disabled)."""
        with self._lock:
            if not self.enabled:
                return frozenset()
            out: set[str] = set()
            for rule in self.rules:
                if rule.kind == kind:
                    out |= rule.targets
            return frozenset(out)

    def _pick(self, endpoint: str, kinds: tuple[str, ...]) -> str | None:
        with self._lock:
            if not self.enabled:
                return None
            chosen: FaultRule | None = None
            for rule in self.rules:
                if rule.kind in kinds and not rule.targets and rule.applies_to(endpoint):
                    fired = rule.decide(self._rng)  # every eligible rule draws: order-independent streams
                    if fired and chosen is None:
                        chosen = rule
            if chosen is None:
                return None
            chosen.consume()
            return chosen.kind

    def __bool__(self) -> bool:
        return self.enabled and bool(self.rules)
