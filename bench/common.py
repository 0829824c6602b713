"""Helpers the benchmarks share."""


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank q-th percentile of `values` (q in 0..100)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]
