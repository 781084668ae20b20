"""The /metrics and /healthz server, scraped over real HTTP by a real client."""

from __future__ import annotations

import asyncio
import socket

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.ops import probe
from bot.ops.metrics import Metrics
from bot.ops.server import OpsServer


async def test_metrics_are_scraped_over_http_on_a_random_port() -> None:
    m = Metrics()
    m.record_poll()
    m.record_poll(failure="rate_limited")
    m.record_alert("margin_call")
    m.observe_delivery_lag(0.4)
    m.set_outbox_depth(2)
    m.set_accounts({"active": 3})
    async with OpsServer(m, port=0) as server:
        assert server.port and server.port > 0
        assert server.url == f"http://127.0.0.1:{server.port}"
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{server.url}/metrics") as response,
        ):
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/plain; version=")
            body = await response.text()
    families = {f.name: f for f in text_string_to_metric_families(body)}
    for name in (
        "marginwatch_polls",
        "marginwatch_poll_failures",
        "marginwatch_alerts",
        "marginwatch_delivery_lag_seconds",
        "marginwatch_outbox_depth",
        "marginwatch_accounts",
    ):
        assert name in families, name
    values = {
        (s.name, tuple(s.labels.items())): s.value for f in families.values() for s in f.samples
    }
    assert values[("marginwatch_polls_total", ())] == 2
    assert values[("marginwatch_poll_failures_total", (("reason", "rate_limited"),))] == 1
    assert values[("marginwatch_alerts_total", (("level", "margin_call"),))] == 1
    assert values[("marginwatch_accounts", (("state", "active"),))] == 3
    assert "python_gc_objects_collected_total" not in body  # not the global registry


async def test_healthz_is_json_and_its_status_code_follows_health() -> None:
    m = Metrics()
    m.set_outbox_depth(4)
    m.set_front_end("telegram", up=True)
    server = OpsServer(m, port=0, stale_after=120)
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"{server.url}/healthz") as response:
                assert response.status == 200
                healthy = await response.json()
            m.set_front_end("telegram", up=False)
            async with session.get(f"{server.url}/healthz") as response:
                assert response.status == 503
                degraded = await response.json()
            async with session.get(f"{server.url}/nothing") as response:
                assert response.status == 404
    finally:
        await server.stop()
    assert healthy["status"] == "ok" and healthy["outbox_depth"] == 4
    assert healthy["front_ends"] == {"telegram": True} and healthy["last_poll_at"] is None
    assert degraded["status"] == "degraded"
    assert degraded["problems"] == ["telegram is not connected"]


async def test_stop_frees_the_port_and_is_safe_twice() -> None:
    server = OpsServer(Metrics(), port=0)
    port = await server.start()
    await server.stop()
    await server.stop()
    assert server.port is None
    with socket.socket() as probe:
        probe.settimeout(1)
        assert probe.connect_ex(("127.0.0.1", port)) != 0  # nobody listens any more
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url


async def test_a_taken_port_is_one_clear_error() -> None:
    async with OpsServer(Metrics(), port=0) as first:
        second = OpsServer(Metrics(), port=first.port or 0)
        with pytest.raises(OSError, match=f"cannot serve metrics on 127.0.0.1:{first.port}"):
            await second.start()
        assert second.port is None


def test_a_port_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="from 0 to 65535, not 70000"):
        OpsServer(Metrics(), port=70000)


async def test_the_probe_exits_by_health_for_container_health_checks() -> None:
    m = Metrics()
    async with OpsServer(m, port=0) as server:
        url = f"{server.url}/healthz"
        healthy = await asyncio.to_thread(probe.probe, url)
        m.set_front_end("discord", up=False)
        degraded = await asyncio.to_thread(probe.main, ["--url", url])
    gone = await asyncio.to_thread(probe.probe, url, timeout=1)
    assert healthy[0] is True and healthy[1].startswith("ok: outbox 0")
    assert degraded == probe.EXIT_UNHEALTHY
    assert gone[0] is False and "did not answer" in gone[1]


def test_the_probe_finds_the_port_in_the_settings(
    clean_env: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert probe.main([]) == probe.EXIT_USAGE
    assert "MARGINWATCH_METRICS_PORT is not set" in capsys.readouterr().err
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    monkeypatch.setenv("MARGINWATCH_METRICS_PORT", str(port))
    monkeypatch.setenv("MARGINWATCH_METRICS_HOST", "0.0.0.0")
    assert probe.main(["--timeout", "1"]) == probe.EXIT_UNHEALTHY
    assert f"http://127.0.0.1:{port}/healthz did not answer" in capsys.readouterr().out


async def test_a_venue_slowed_by_its_limits_is_degraded_and_named_but_answers_200() -> None:
    from bot.exchanges.budget import VenueReport

    stretched = VenueReport(
        venue="binanceusdm",
        state="stretched",
        reason="reads stretched 8.3x: Binance allows 2,400 weight per minute per IP",
        accounts=2000,
        reads_demanded_per_minute=2060.0,
        reads_granted_per_minute=246.0,
        stretch=8.3,
        limited_answers=0,
        bans=0,
    )
    m = Metrics()
    m.set_front_end("telegram", up=True)
    m.watch_venue_limits(lambda: {"binanceusdm": stretched})
    async with OpsServer(m, port=0) as server, aiohttp.ClientSession() as session:
        async with session.get(f"{server.url}/healthz") as response:
            assert response.status == 200  # a restart would not help
            body = await response.json()
        async with session.get(f"{server.url}/metrics") as response:
            exposition = await response.text()
        m.set_front_end("telegram", up=False)
        async with session.get(f"{server.url}/healthz") as response:
            assert response.status == 503  # this one needs attention
    assert body["status"] == "degraded"
    assert body["problems"] == [
        "binanceusdm: reads stretched 8.3x: Binance allows 2,400 weight per minute per IP"
    ]
    assert body["venue_limits"] == {"binanceusdm": stretched.reason}
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(exposition)
        for s in f.samples
    }
    venue = (("venue", "binanceusdm"),)
    assert samples[("marginwatch_venue_reads_demanded_per_minute", venue)] == 2060.0
    assert samples[("marginwatch_venue_reads_granted_per_minute", venue)] == 246.0
    state = (("state", "stretched"), ("venue", "binanceusdm"))
    assert samples[("marginwatch_venue_limit_state", state)] == 1.0
    calm = (("state", "ok"), ("venue", "binanceusdm"))
    assert samples[("marginwatch_venue_limit_state", calm)] == 0.0
