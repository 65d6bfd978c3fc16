"""The real ``hf papers`` command line (huggingface_hub's CLI, a subprocess) against a real
paperboard server on loopback, as issue 16 promises: ``ls`` by date, week and month,
``search``, ``info`` and ``read``, each in its JSON output format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from tests.api_site import OLD_STYLE, build_site, recorded_daily
from tests.app_factory import serve_app

HF = Path(sys.executable).with_name("hf")
DAY = date(2025, 7, 22)  # a recorded Hugging Face board (2025-W30)

pytestmark = pytest.mark.skipif(not HF.is_file(), reason="huggingface_hub's hf CLI not installed")


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory, fixtures_dir: Path) -> Iterator[str]:
    with (
        build_site(tmp_path_factory.mktemp("hf-cli"), fixtures_dir) as site,
        serve_app(site.app) as url,
    ):
        yield url


def hf(endpoint: str, *args: str) -> str:
    env = os.environ | {
        "HF_ENDPOINT": endpoint,
        "HF_HUB_OFFLINE": "0",
        "HF_HUB_DISABLE_TELEMETRY": "1",
        # Tests never reach the network: no check for a newer huggingface_hub on PyPI.
        "HF_HUB_DISABLE_UPDATE_CHECK": "1",
        "NO_PROXY": "127.0.0.1,localhost",
        "HF_TOKEN": "",
    }
    done = subprocess.run(
        [str(HF), "papers", *args], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def ids_of(output: str) -> set[str]:
    items = json.loads(output)
    return {item["id"] for item in items}


def test_ls_by_date_week_and_month(endpoint: str) -> None:
    recorded = {item["paper"]["id"] for item in recorded_daily(DAY)}
    by_date = ids_of(hf(endpoint, "ls", "--date", DAY.isoformat(), "--json", "--limit", "100"))
    assert by_date == recorded
    week = f"{DAY.isocalendar().year}-W{DAY.isocalendar().week:02d}"
    assert recorded <= ids_of(hf(endpoint, "ls", "--week", week, "--json", "--limit", "100"))
    month = DAY.strftime("%Y-%m")
    assert recorded <= ids_of(hf(endpoint, "ls", "--month", month, "--json", "--limit", "100"))


def test_search_info_and_read(endpoint: str) -> None:
    one = recorded_daily(DAY)[0]["paper"]
    found = json.loads(hf(endpoint, "search", " ".join(one["title"].split()), "--json"))
    assert one["id"] in {item["id"] for item in found}
    info = json.loads(hf(endpoint, "info", one["id"], "--json"))
    assert info["id"] == one["id"]
    assert info["title"].split() == one["title"].split()  # Hugging Face's keeps arXiv's breaks
    text = hf(endpoint, "read", OLD_STYLE.arxiv_id)
    assert OLD_STYLE.title in text and "A second paragraph" in text
