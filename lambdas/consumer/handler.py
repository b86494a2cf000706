"""AWS Lambda entry point: the read API behind API Gateway, routes under `/api`.

Settings come from the environment (`LINEAGE_GRAPH_URL`, `LINEAGE_GRAPH_TIMEOUT_MS`); the graph
connection opens on the first request, so a cold start costs only FastAPI's import.
"""

from __future__ import annotations

from mangum import Mangum

from lambdas.consumer.app import create_app
from lambdas.consumer.config import ReadApiConfig
from lambdas.consumer.gc_tuning import freeze_startup_objects

__all__ = ["handler"]

handler = Mangum(
    create_app(config=ReadApiConfig.from_env()), lifespan="off", api_gateway_base_path="/api"
)
# Once per execution environment, after the imports and the app: see gc_tuning.
freeze_startup_objects()
