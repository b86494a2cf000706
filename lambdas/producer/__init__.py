"""Spline producer API: accepts what the agent sends and lands it verbatim in the raw zone.

`create_app(store, settings)` (in `app`) builds the FastAPI app; `handler` is the Lambda entry
point; the raw zone is any `lineage.store.RawZoneStore` (the backends are the `stores` package).
"""
