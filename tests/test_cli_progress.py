"""The command line's progress bar: stage, count and time, never a made-up rate."""

import io

from analysis.cli_progress import Bar


def test_bar_shows_counts_per_stage_without_a_rate():
    out = io.StringIO()
    bar = Bar(out)
    bar.update("write interactions", 0, 100_000)
    bar.update("write interactions", 50_000, 100_000)
    bar.update("aggregates", 2, 6)
    bar.close()
    text = out.getvalue()
    assert "write interactions:  50%" in text and "50000/100000" in text
    assert "aggregates:  33%" in text and "2/6" in text
    assert "/s" not in text
