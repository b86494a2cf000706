"""Read API over the lineage graph: `create_app` (FastAPI) and a Mangum handler for Lambda.

Kept import-light on purpose: Lambda cold starts pay for every module imported here.
"""
