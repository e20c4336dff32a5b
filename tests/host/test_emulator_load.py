"""The load run (tools/emulator/load.py) with a small fleet: every daily
session served, one TLS connection per host per session, nothing the strict
emulator refused, and the emulator's memory flat from day to day."""

from tools.emulator import load


def test_a_small_fleet_is_served_with_flat_memory():
    lines = []
    result = load.run(devices=50, days=4, concurrency=16, max_seconds=15, out=lines.append)
    assert result["ok"] == result["sessions"] == 200 and result["failures"] == {}
    assert result["requests"] == 3 * 200  # refresh, device status, slot status
    assert result["tls_handshakes"] == 2 * 200  # one connection per host per session
    assert result["deviations"] == 0 and result["refused_connections"] == 0
    assert result["requests_per_second"] > 50
    rss = result["rss_kib"]
    assert len(rss) == 5 and all(rss)
    assert rss[-1] - rss[1] < 8 * 1024, rss  # three more days of sessions: no lasting growth
    text = "\n".join(lines)
    assert "requests/s" in text and "KiB at start" in text
    assert "Atzr|" not in text and "Atza|" not in text


def test_the_run_is_bounded_in_time():
    result = load.run(devices=20, days=1, concurrency=4, max_seconds=0, out=lambda line: None)
    assert result["ok"] == 0
    assert result["failures"] == {"not run: --max-seconds reached": 20}
