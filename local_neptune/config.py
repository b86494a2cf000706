"""Settings of the local Gremlin Server and the files that configure it like Neptune.

The server is Apache TinkerPop Gremlin Server 3.7 (the TinkerPop minor Neptune engines
1.3.2-1.4 speak) over an in-memory TinkerGraph, set up to fail where Neptune fails:
- vertex and edge ids are strings; a missing id becomes a UUID string (TinkerGraph's `STRING`
  id manager), a number is refused;
- vertex properties default to `set` cardinality; `list` cardinality and lambdas are refused by
  verification strategies bound with `g` (see `java/lineage/gremlinserver/`);
- scripts are parsed by the gremlin-lang grammar, never run as Groovy, whatever language the
  client names; `g` is the only binding and request bindings are refused;
- `io()` (files of this machine), `program()` and `call()` are refused: Neptune has none of them;
- GraphBinary (what gremlinpython speaks) and GraphSON 3 over WebSocket only: no scripts over
  HTTP, no WebSocket handshake from a browser page that is not served from loopback (or an
  origin given in `allowed_origins`), no Java stack traces in answers (see
  `java/lineage/gremlinserver/LoopbackWebSocketChannelizer.java`);
- plain HTTP on the same port serves only Neptune's bulk loader API (`/loader`), its fast reset
  (`/system`) and engine status (`/status`), with Neptune's answers, for requests whose `Host`
  is a loopback name (see `java/lineage/gremlinserver/loader/`); sources are `file://` URIs or
  absolute paths the server reads itself, where Neptune reads `s3://`;
- queries time out after 120 s, Neptune's default `neptune_query_timeout`.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DEFAULT_PORT",
    "GRAPH_FORMATS",
    "ServerLayout",
    "ServerSettings",
    "project_root",
    "render_graph_properties",
    "render_server_yaml",
    "validate_origin",
]

DEFAULT_PORT = 8182
NEPTUNE_QUERY_TIMEOUT_MS = 120_000
# Larger requests than this are refused; the local loader's batches stay far below it.
MAX_CONTENT_LENGTH = 10 * 1024 * 1024

# The Java system property the channelizer reads its extra allowed browser origins from.
ALLOWED_ORIGINS_PROPERTY = "lineage.gremlin.allowedOrigins"
_ORIGIN = re.compile(r"^https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?$")

GRAPH_FORMATS = {".gryo": "gryo", ".kryo": "gryo", ".json": "graphson", ".xml": "graphml"}
"""Persistence file suffix -> TinkerGraph `graphFormat`; any other suffix is stored as gryo."""


def project_root() -> Path:
    """The folder holding `.cache/` (jars) and `.lineage/` (state): $LINEAGE_HOME or the checkout.

    `make install` resolves the jars into the checkout, and the package is installed editable
    from it, so the checkout is found from this file; `LINEAGE_HOME` overrides that.
    """
    override = os.environ.get("LINEAGE_HOME")
    if override:
        return Path(override).resolve()
    checkout = Path(__file__).resolve().parents[1]
    if (checkout / "pyproject.toml").is_file():
        return checkout
    return Path.cwd()


@dataclass(frozen=True)
class ServerLayout:
    """Where the server's jars, its compiled extension and its run state live."""

    lib_dir: Path
    """Gremlin Server and its dependencies, resolved from Maven Central by `make install`."""
    build_dir: Path
    """The compiled Neptune-compatibility extension (a cache keyed by the sources' hash)."""
    state_dir: Path
    """pid, port, log and generated configuration of the running server."""

    @classmethod
    def under(cls, root: Path) -> ServerLayout:
        """The layout `make install` and the CLI use inside a project folder."""
        return cls(
            lib_dir=root / ".cache" / "gremlin-server" / "lib",
            build_dir=root / ".cache" / "gremlin-server" / "ext",
            state_dir=root / ".lineage" / "graph",
        )

    @property
    def state_file(self) -> Path:
        return self.state_dir / "server.json"

    @property
    def lock_file(self) -> Path:
        return self.state_dir / "server.lock"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "gremlin-server.log"

    @property
    def server_yaml(self) -> Path:
        return self.state_dir / "gremlin-server.yaml"

    @property
    def graph_properties(self) -> Path:
        return self.state_dir / "tinkergraph.properties"


@dataclass(frozen=True)
class ServerSettings:
    """What `lineage graph start` may change; everything else is fixed to match Neptune."""

    port: int = DEFAULT_PORT
    """Port to listen on; 0 picks a free one at start (recorded in the server's state)."""
    host: str = "127.0.0.1"
    """Address to bind: loopback only, the server has no authentication."""
    heap: str = "2g"
    """JVM maximum heap (`-Xmx`); the whole graph lives in it."""
    persist_path: Path | None = None
    """Load the graph from this file at start and write it back on a clean stop."""
    start_timeout_s: float = 60.0
    allowed_origins: tuple[str, ...] = ()
    """Browser origins (`scheme://host[:port]`) allowed besides loopback ones."""

    @property
    def endpoint(self) -> str:
        """The WebSocket URL gremlinpython connects to."""
        name = "localhost" if self.host == "127.0.0.1" else self.host
        return f"ws://{name}:{self.port}/gremlin"

    @property
    def loader_endpoint(self) -> str:
        """The `http://host:port` a boto3 `neptunedata` client is pointed at (same port)."""
        return f"http://{self.host}:{self.port}"


def validate_origin(origin: str) -> str:
    """`origin` lower-cased when it is `http(s)://host[:port]`; raises ValueError naming it."""
    if not _ORIGIN.match(origin):
        raise ValueError(
            f"invalid origin {origin!r}: give scheme://host[:port], as browsers send it "
            "(no path, no trailing slash)"
        )
    return origin.lower()


def _yaml_str(value: str) -> str:
    # A JSON string is a valid YAML flow scalar, so paths with spaces or colons stay intact.
    return json.dumps(value)


def render_graph_properties(settings: ServerSettings) -> str:
    """The TinkerGraph configuration: string ids, `set` cardinality, optional persistence."""
    lines = [
        "gremlin.graph=org.apache.tinkerpop.gremlin.tinkergraph.structure.TinkerGraph",
        # Neptune ids are strings and generated ids are UUID strings; STRING refuses other types.
        "gremlin.tinkergraph.vertexIdManager=STRING",
        "gremlin.tinkergraph.edgeIdManager=STRING",
        # Neptune's default: property(k, v) adds v to the values of k instead of replacing them.
        "gremlin.tinkergraph.defaultVertexPropertyCardinality=set",
        # Neptune stores no nulls.
        "gremlin.tinkergraph.allowNullPropertyValues=false",
    ]
    if settings.persist_path is not None:
        location = settings.persist_path.resolve()
        graph_format = GRAPH_FORMATS.get(location.suffix.lower(), "gryo")
        # Java properties treat backslashes as escapes; forward slashes work on every platform.
        lines.append(f"gremlin.tinkergraph.graphLocation={location.as_posix()}")
        lines.append(f"gremlin.tinkergraph.graphFormat={graph_format}")
    return "\n".join(lines) + "\n"


def render_server_yaml(settings: ServerSettings, graph_properties: Path) -> str:
    """The Gremlin Server configuration (the gremlin-server.yaml of a distribution)."""
    serializers = [
        "org.apache.tinkerpop.gremlin.util.ser.GraphBinaryMessageSerializerV1",
        "org.apache.tinkerpop.gremlin.util.ser.GraphSONMessageSerializerV3",
    ]
    lines = [
        f"host: {_yaml_str(settings.host)}",
        f"port: {settings.port}",
        f"evaluationTimeout: {NEPTUNE_QUERY_TIMEOUT_MS}",
        # WebSocket only: any web page can send HTTP requests to a localhost port, so the
        # script-over-HTTP endpoint (and its CORS echo of every Origin) would let it run Gremlin.
        "channelizer: lineage.gremlinserver.LoopbackWebSocketChannelizer",
        "graphManager: lineage.gremlinserver.NeptuneLikeGraphManager",
        f"graphs: {{graph: {_yaml_str(graph_properties.resolve().as_posix())}}}",
        # Only the grammar engine: no Groovy init script, `g` is bound by the graph manager.
        "scriptEngines: {gremlin-lang: {}}",
        "serializers:",
        *(f"  - {{className: {name}}}" for name in serializers),
        f"maxContentLength: {MAX_CONTENT_LENGTH}",
        "metrics: {slf4jReporter: {enabled: false}}",
    ]
    return "\n".join(lines) + "\n"
