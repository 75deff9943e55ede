"""Twenty people at once on two app processes and one PostgreSQL database, through Streamlit's own websocket
protocol (``bench.load``): no lost update, no error but the expected conflicts. A bounded run here; the
documented release check runs it longer (``python -m bench.load --seconds 300``)."""

from __future__ import annotations

import shutil

import pytest

from bench.serving import free_port
from tests.conftest import create_scratch_postgres_database, drop_postgres_database, postgres_server_url
from tests.proxy import insecure_tls, running_proxy


def test_twenty_people_on_two_app_processes_lose_nothing(tmp_path):
    server = postgres_server_url()
    if not server:
        pytest.skip("PostgreSQL not configured: set CPCM_TEST_POSTGRES_URL to a server URL to run this test there")
    from bench.load import run_load

    database = create_scratch_postgres_database(server)
    try:
        # each action's clicks back to back: the most saves, and so the most chances to meet, in a short run
        result = run_load(database, people=20, seconds=30, servers=2, log_dir=tmp_path, pace="action")
    finally:
        drop_postgres_database(database)
    print(result.summary())
    print(result.table())
    assert not result.unexpected, result.unexpected[:5]
    assert not result.lost, result.lost[:5]
    # people did save (each kind, below) and some met each other; how many depends on how busy the machine is
    assert result.confirmed >= 3 and result.confirmed + result.refused >= 10
    assert result.refused >= 1
    assert {"workshop: save a component", "review: save the draft", "tracker: save"} <= set(result.times)


def test_a_short_load_through_the_shipped_proxy_loses_nothing(tmp_path):
    """Six people for 20 s through the shipped nginx site (https, WebSockets) to two app processes: no error,
    no lost update."""
    from bench.load import run_load

    if not shutil.which("nginx"):
        pytest.skip("nginx is not installed (Debian: apt-get install nginx); the server recipe needs it")
    server = postgres_server_url()
    if not server:
        pytest.skip("PostgreSQL not configured: set CPCM_TEST_POSTGRES_URL to a server URL to run this test there")
    database = create_scratch_postgres_database(server)
    ports = [free_port(), free_port()]
    try:
        with running_proxy(tmp_path, ports) as (url, _plain):
            result = run_load(database, people=6, seconds=20, servers=2, log_dir=tmp_path, pace="action",
                              ports=ports, through=url, tls=insecure_tls())
    finally:
        drop_postgres_database(database)
    print(result.summary())
    assert not result.unexpected, result.unexpected[:5]
    assert not result.lost, result.lost[:5]
    assert result.confirmed >= 3
