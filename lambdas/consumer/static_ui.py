"""The static UI for local serving (`lineage serve` mounts it at `/`; in AWS CloudFront serves it).

Only the page's own files are served, each by name: `index.html` (also at `/`), `app.js`,
`style.css`, and vis-network's standalone build from npm (`ui/node_modules`, installed by
`make install`) at the stable path `/vendor/vis-network.min.js`, so `ui/index.html` never names
node_modules. Nothing else under `ui/` (node_modules, package.json, package-lock.json, files
someone drops there) is reachable.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

__all__ = ["UI_DIR", "UI_FILES", "VIS_NETWORK", "VIS_NETWORK_PATH", "create_ui_app"]

UI_DIR = Path(__file__).resolve().parents[2] / "ui"
VIS_NETWORK_PATH = "/vendor/vis-network.min.js"
VIS_NETWORK = Path("node_modules/vis-network/standalone/umd/vis-network.min.js")
UI_FILES = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
}
"""The page's own files (relative to the UI folder) and their media types."""

# No sniffing of the files' types, and no framing of the page by another site (clickjacking).
_HEADERS = {"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY"}


def create_ui_app(ui_dir: Path = UI_DIR) -> Starlette:
    """Serve the UI's files by name and vis-network at `/vendor/vis-network.min.js`; 404 else."""

    def serve(relative: Path, media_type: str, missing: str) -> Response:
        path = ui_dir / relative
        if not path.is_file():
            return PlainTextResponse(missing, status_code=503)
        return FileResponse(path, media_type=media_type, headers=_HEADERS)

    def page_file(name: str) -> Route:
        async def endpoint(_: Request) -> Response:
            return serve(Path(name), UI_FILES[name], f"the UI file {name} is missing")

        return Route(f"/{name}", endpoint, methods=["GET", "HEAD"])

    async def index(_: Request) -> Response:
        return serve(
            Path("index.html"), UI_FILES["index.html"], "the UI file index.html is missing"
        )

    async def vis_network(_: Request) -> Response:
        return serve(
            VIS_NETWORK,
            "text/javascript; charset=utf-8",
            "vis-network is missing: run `make install` (npm ci in ui/)",
        )

    async def not_found(_: Request, __: Exception) -> Response:
        return PlainTextResponse("not found", status_code=404)

    return Starlette(
        routes=[
            Route("/", index, methods=["GET", "HEAD"]),
            *(page_file(name) for name in UI_FILES),
            Route(VIS_NETWORK_PATH, vis_network, methods=["GET", "HEAD"]),
        ],
        exception_handlers={404: not_found},
    )
