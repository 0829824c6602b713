"""Short runs of bench/scale.py and bench/rush.py: they still run end to
end against the real stack. No timing is asserted here; the figures come
from full runs (see the scripts' docstrings)."""

import io

from bench import rush, scale


def test_scale_bench_measures_every_operation_at_each_size():
    out = io.StringIO()
    results = scale.run([200, 400], repeats=2, future=100, out=out)
    assert set(results) == {200, 400}
    for medians in results.values():
        assert set(medians) == set(scale.OPERATIONS)
        assert all(ms > 0 for ms in medians.values())
    assert "400 bookings" in out.getvalue()


def test_rush_bench_books_only_valid_requests_and_keeps_the_rules():
    out = io.StringIO()
    result = rush.run(seconds=1, students=20, connections=4, history=200, workers=1, threads=2, out=out)
    assert result["me"]["n"] > 0 and result["rush"]["n"] > 0
    assert result["me"]["5xx"] == 0 and result["rush"]["5xx"] == 0
    assert result["rush"]["refused"] == 0, out.getvalue()
    checked = result["checked"]
    assert checked["created"] == checked["bookings"] == checked["audited"] > 0
    assert checked["overlapping_pairs"] == 0
    assert result["rss_mb"], "the workers' memory was sampled"
    for kind in ("me", "book"):  # the machine's CPU in those slices, accounted for by group
        shares = result["cpu"][kind]
        assert shares["workers"] > 0 and shares["client"] > 0, shares
        assert abs(sum(shares.values()) - 1) < 0.05, shares
    assert "workers' CPU per request" in out.getvalue()
