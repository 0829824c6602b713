"""The replay bench (bench/replay.py) on a small seeded week, as a smoke
check: every configuration replays through the API, nothing is over-booked
by the independent sweep, and no configuration beats the offline optimum.
No timing is asserted; the figures are the bench's to print."""

from bench.replay import CONFIGS, run_seed


def test_a_small_replayed_week_is_never_overbooked_and_never_beats_the_optimum(app, database_url):
    lines: list[str] = []
    results = run_seed(app, database_url, seed=1, count=40, ilp_seconds=5, configs=CONFIGS, out=lines.append)
    assert "optimal" in lines[0], lines[0]  # 40 requests: the ILP proves its optimum
    for label, figures in results.items():
        assert figures["overbooked"] == 0, label
        assert 0 < figures["count_ratio"] <= 1 and 0 < figures["hours_ratio"] <= 1, (label, lines)
        assert len(figures["latencies"]) == 40
