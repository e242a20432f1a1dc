"""The look benchmark's plumbing (its speed goes to bench/results/look.md, never to a test)."""

from __future__ import annotations

from bench.look import run_look_benchmark


def test_look_benchmark_writes_a_table(tmp_path):
    rows = run_look_benchmark(clips=2, frames=2, sizes=(32,), repeats=1, out=tmp_path / "look.md")
    assert [r["size"] for r in rows] == [32] and all(r["flat_s"] > 0 and r["plates_s"] > 0 for r in rows)
    assert rows[0]["clips"] == 2
    text = (tmp_path / "look.md").read_text()
    assert "plates + source cameras" in text and ("**met**" in text or "**missed**" in text)
