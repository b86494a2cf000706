"""The static UI for local serving (`lineage serve` mounts it at `/`; in AWS CloudFront serves it).

vis-network comes from npm (`ui/node_modules`, installed by `make install`) and is served at the
stable path `/vendor/vis-network.min.js`, so `ui/index.html` never names node_modules.
"""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

__all__ = ["UI_DIR", "VIS_NETWORK", "VIS_NETWORK_PATH", "create_ui_app"]

UI_DIR = Path(__file__).resolve().parents[2] / "ui"
VIS_NETWORK_PATH = "/vendor/vis-network.min.js"
VIS_NETWORK = Path("node_modules/vis-network/standalone/umd/vis-network.min.js")


def create_ui_app(ui_dir: Path = UI_DIR) -> Starlette:
    """Serve `ui_dir` at `/` and vis-network's standalone build at `/vendor/vis-network.min.js`."""
    library = ui_dir / VIS_NETWORK

    async def vis_network(_: object) -> Response:
        if not library.is_file():
            return PlainTextResponse(
                f"{library} is missing: run `make install` (npm ci in ui/)", status_code=503
            )
        return FileResponse(library, media_type="text/javascript")

    return Starlette(
        routes=[
            Route(VIS_NETWORK_PATH, vis_network),
            Mount("/", StaticFiles(directory=ui_dir, html=True)),
        ]
    )
