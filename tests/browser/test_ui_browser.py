"""The UI in Debian's Chromium (Playwright, no downloaded browser) over `lineage serve`'s app.

Each view is opened by its deep link, a node (or row) is clicked and the details panel checked;
screenshots land in docs/screenshots/ for the README.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from api_graph import CURATED, DAILY, PLAN_ENRICH, RAW_ORDERS, build_lake, load_lake

from local_neptune.ports import free_port

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _mark_build(url: str) -> None:
    """Add the build marker a loaded build carries, so the API tags and caches its answers."""
    from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.process.traversal import Cardinality, T

    from lineage.graph_schema import BUILD_MARKER_DIGEST, BUILD_MARKER_ID, VertexLabel

    connection = DriverRemoteConnection(url, "g")
    try:
        g = traversal().with_remote(connection)
        g.add_v(VertexLabel.BUILD).property(T.id, BUILD_MARKER_ID).property(
            Cardinality.single, BUILD_MARKER_DIGEST, "browser-fixture"
        ).iterate()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def base_url(gremlin_server: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`lineage serve`'s root app (producer, read API, UI) on a free port over the fixture lake."""
    import uvicorn

    from lineage_cli.commands.serve import build_root_app

    load_lake(gremlin_server, build_lake())
    _mark_build(gremlin_server)
    lake = tmp_path_factory.mktemp("lake")
    app = build_root_app(str(lake), graph_url=gremlin_server)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError(f"uvicorn did not start on port {port}")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def page(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One Chromium page with a fresh profile; console errors fail the test that caused them."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium")
    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1200, "height": 700},
        )
        tab = context.new_page()
        tab.errors = []
        tab.on("pageerror", lambda exc: tab.errors.append(str(exc)))
        tab.goto(f"{base_url}/")
        yield tab
        context.close()


def open_view(page: Any, hash_: str) -> None:
    """Navigate by deep link and wait for the view to finish loading."""
    page.evaluate("document.body.dataset.state = 'navigating'")
    page.evaluate(f"location.hash = {hash_!r}")
    page.wait_for_selector("body[data-state=ready]", timeout=15_000)
    assert page.locator("#message").is_hidden(), page.locator("#message").inner_text()
    assert page.errors == []


def click_node(page: Any, node_id: str) -> None:
    """Click a vis-network node where it is drawn on the canvas."""
    point = page.evaluate(
        """(id) => {
            const pos = network.getPositions([id])[id];
            const dom = network.canvasToDOM(pos);
            const box = document.getElementById('graph').getBoundingClientRect();
            return {x: box.left + dom.x, y: box.top + dom.y};
        }""",
        node_id,
    )
    page.mouse.click(point["x"], point["y"])


def details(page: Any) -> str:
    text: str = page.locator("#details").inner_text()
    return text


def node_ids(page: Any) -> set[str]:
    return set(page.evaluate("Array.from(nodesById.keys())"))


def shot(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_overview_click_dataset_shows_properties_and_schema(page: Any) -> None:
    open_view(page, "#/overview")
    assert f"ds:{CURATED}" in node_ids(page)
    assert "job:enrich_orders" in node_ids(page)
    click_node(page, f"ds:{CURATED}")
    page.wait_for_selector("#details h3:has-text('Schema')")
    text = details(page)
    assert "orders_enriched" in text
    assert "curated" in text
    assert "amount_eur" in text and "decimal(12,2)" in text
    assert "enrich_orders" in text  # written by
    assert "sel=" in page.evaluate("location.hash")  # the selection is part of the link
    shot(page, "overview")


def test_selection_survives_a_reload(page: Any) -> None:
    open_view(page, "#/overview")
    click_node(page, "job:daily_revenue")
    page.reload()
    page.wait_for_selector("body[data-state=ready]")
    assert "daily_revenue" in page.locator("#details h2").inner_text()


def test_a_view_opened_again_is_revalidated_by_etag(page: Any) -> None:
    seen: list[tuple[str | None, str | None, int]] = []

    def record(response: Any) -> None:
        if "/api/overview" in response.url:
            asked = response.request.all_headers().get("if-none-match")
            seen.append((asked, response.all_headers().get("etag"), response.status))

    page.on("response", record)
    try:
        open_view(page, "#/jobs")
        open_view(page, "#/overview")
        open_view(page, "#/jobs")
        open_view(page, "#/overview")
    finally:
        page.remove_listener("response", record)
    assert len(seen) == 2, seen
    etag = seen[0][1]
    assert etag and etag.startswith('"')
    # The browser kept the first answer (no-cache: keep, but ask again) and asked with its tag.
    assert seen[1][0] == etag, seen
    assert "job:enrich_orders" in node_ids(page)


def test_job_view_runs_with_status_and_run_details(page: Any) -> None:
    open_view(page, "#/jobs/enrich_orders")
    assert node_ids(page) == {
        "job:enrich_orders",
        f"ds:{RAW_ORDERS}",
        "ds:s3://lake/raw/customers",
        f"ds:{CURATED}",
    }
    assert f"raw/plans/{PLAN_ENRICH}.json" in details(page)  # the job's plans, before a click
    rows = page.locator("#table tr.clickable")
    assert rows.count() == 3
    assert "FAILED" in rows.nth(1).inner_text()
    rows.nth(0).click()
    text = details(page)
    assert "rows_written" in text and "1080" in text
    assert "raw_key" in text and f"raw/events/{PLAN_ENRICH}/" in text
    assert "raw_sha256" in text
    shot(page, "job")


def test_runs_filtered_by_status_show_the_error(page: Any) -> None:
    open_view(page, "#/runs?status=FAILED")
    assert page.locator("#c-status").input_value() == "FAILED"
    rows = page.locator("#table tr.clickable")
    assert rows.count() == 1
    rows.first.click()
    assert "FileNotFoundException" in details(page)
    shot(page, "runs")


def test_plan_dag_click_join_shows_params(page: Any) -> None:
    open_view(page, f"#/plans/{PLAN_ENRICH}")
    assert len(node_ids(page)) == 5
    opened = details(page)  # before any click: the plan and the raw payload it came from
    assert f"raw/plans/{PLAN_ENRICH}.json" in opened and "raw_sha256" in opened
    click_node(page, f"op:{PLAN_ENRICH}:2")
    text = details(page)
    assert "Join" in text and "joinType" in text and "Inner" in text
    shot(page, "plan")


def test_dataset_search_then_lineage_with_controls(page: Any) -> None:
    open_view(page, "#/datasets?q=orders")
    rows = page.locator("#table tr.clickable")
    assert rows.count() == 2
    open_view(page, f"#/lineage?uri={DAILY}&direction=upstream&depth=2")
    assert page.locator("#c-direction").input_value() == "upstream"
    assert page.locator("#c-depth").input_value() == "2"
    assert len(node_ids(page)) == 6
    click_node(page, "job:enrich_orders")
    assert "Open job" in details(page)
    shot(page, "lineage")
    # The depth control rewrites the link and narrows the view.
    page.fill("#c-depth", "1")
    page.evaluate("document.body.dataset.state = 'navigating'")
    page.click("#c-apply")
    page.wait_for_selector("body[data-state=ready]")
    assert "depth=1" in page.evaluate("location.hash")
    assert node_ids(page) == {f"ds:{DAILY}", f"ds:{CURATED}", "job:daily_revenue"}


def test_column_lineage_click_source_column(page: Any) -> None:
    open_view(page, f"#/columns?uri={DAILY}&column=revenue&direction=upstream&depth=5")
    assert node_ids(page) == {
        f"col:{DAILY}#revenue",
        f"col:{CURATED}#amount_eur",
        f"col:{RAW_ORDERS}#amount",
    }
    click_node(page, f"col:{RAW_ORDERS}#amount")
    text = details(page)
    assert "orders.amount" in text and "Impact" in text and "decimal(10,2)" in text
    shot(page, "columns")


def test_unknown_dataset_shows_the_api_reason(page: Any) -> None:
    page.evaluate("location.hash = '#/lineage?uri=s3://lake/nowhere'")
    page.wait_for_selector("#message:not([hidden])")
    assert "404" in page.locator("#message").inner_text()
    assert "s3://lake/nowhere" in page.locator("#message").inner_text()
