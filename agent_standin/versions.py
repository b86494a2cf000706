"""Producer API version negotiation, with the agent's comparison rules.

The agent reads every `ABSA-Spline-API-Version` header line as one version string, splits it on
dots, and compares components numerically when they are digits and as strings otherwise, strings
ranking above numbers. So a comma-joined line such as `1.2, 1.1, 1` parses as a version above 1.2,
matches nothing the agent supports, and disables lineage: the stand-in keeps that behaviour on
purpose, because it is what a real deployment behind a header-joining proxy would see.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import total_ordering

from agent_standin.errors import ProducerUnavailableError

API_VERSION_HEADER = "ABSA-Spline-API-Version"
API_LTS_VERSION_HEADER = "ABSA-Spline-API-LTS-Version"
ACCEPT_ENCODING_HEADER = "ABSA-Spline-Accept-Request-Encoding"


@total_ordering
@dataclass(frozen=True)
class ApiVersion:
    """A dotted version string compared component by component."""

    text: str

    def _key(self) -> tuple[tuple[int, int, str], ...]:
        return tuple(
            (1, 0, c) if not c.isdigit() else (0, int(c), "") for c in self.text.split(".")
        )

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, ApiVersion):
            return NotImplemented
        mine, theirs = self._key(), other._key()
        for a, b in zip(mine, theirs, strict=False):
            if a != b:
                return a < b
        # A missing component ranks below any present one, as in the agent.
        return len(mine) < len(theirs)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiVersion) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())


V1 = ApiVersion("1")
V1_1 = ApiVersion("1.1")
V1_2 = ApiVersion("1.2")
SUPPORTED_MIN = V1
SUPPORTED_MAX = V1_2
# The stand-in serializes only the v1.1 and v1.2 layouts (they differ in labels and error events).
IMPLEMENTED = (V1_1, V1_2)


def content_type(version: ApiVersion) -> str:
    """The Content-Type that selects `version` on the producer."""
    if version == V1:
        return "application/json"
    return f"application/vnd.absa.spline.producer.v{version.text}+json"


def negotiate(advertised: Sequence[str], forced: str | None = None) -> ApiVersion:
    """Pick the API version to speak from the status reply's header lines.

    Raises ProducerUnavailableError when nothing compatible is offered or when the server only
    offers v1, whose layout the stand-in does not implement.
    """
    if forced is not None:
        chosen = SUPPORTED_MAX if forced.strip() == "LATEST" else ApiVersion(forced.strip())
    else:
        offered = sorted({ApiVersion(v.strip()) for v in advertised}) or [V1]
        compatible = [v for v in offered if SUPPORTED_MIN <= v <= SUPPORTED_MAX]
        if not compatible:
            raise ProducerUnavailableError(
                "Spline Agent and Server versions don't match: the stand-in supports API versions "
                f"{SUPPORTED_MIN.text} to {SUPPORTED_MAX.text}, the server offers "
                f"{', '.join(repr(v) for v in advertised) or 'none'}"
            )
        chosen = compatible[-1]
    if chosen not in IMPLEMENTED:
        raise ProducerUnavailableError(
            f"producer API version {chosen.text} selected, but the stand-in agent only implements "
            "1.1 and 1.2 (the real agent also speaks the legacy v1 layout)"
        )
    return chosen
