"""Job identity rule: Glue labels, Glue application names, else the application name."""

from __future__ import annotations

import pytest

from lineage.job_identity import UNNAMED_JOB, JobIdentity, identify_job

pytestmark = pytest.mark.unit


def test_plain_spark_application_is_its_app_name() -> None:
    assert identify_job("sales_by_country") == JobIdentity("sales_by_country", None, None)


def test_missing_name_is_unnamed() -> None:
    assert identify_job(None).name == UNNAMED_JOB
    assert identify_job("  ").name == UNNAMED_JOB


def test_glue_application_name_yields_job_and_run() -> None:
    found = identify_job("nativespark-country_report-jr_0123abcd")
    assert found == JobIdentity("country_report", "country_report", "jr_0123abcd")


def test_glue_job_with_dashes_in_its_name() -> None:
    found = identify_job("nativespark-my-etl-job-jr_ff00")
    assert found == JobIdentity("my-etl-job", "my-etl-job", "jr_ff00")


def test_labels_win_over_the_application_name() -> None:
    found = identify_job(
        "nativespark-other-jr_1",
        labels={"JOB_NAME": ["orders_daily"]},
        event_labels={"glue_job_run_id": ["jr_42"]},
    )
    assert found == JobIdentity("orders_daily", "orders_daily", "jr_42")
