"""The render benchmark's plumbing (its speed goes to bench/results/render.md, never to a test)."""

from __future__ import annotations

from bench.render import run_render_benchmark


def test_benchmark_writes_a_table(tmp_path):
    written = []
    rows = run_render_benchmark("cpu", batch_sizes=(1, 2), frames=2, size=32, out=tmp_path / "render.md",
                                writers={"jpg": lambda frames, i: written.append(tuple(frames.shape))}, repeats=1)
    assert [r["batch"] for r in rows] == [1, 2] and all(r["fps_median"] > 0 for r in rows)
    assert written and written[0] == (1, 2, 32, 32, 3)
    text = (tmp_path / "render.md").read_text()
    assert "frames/s (median)" in text and "render + write" in text and "torch" in text
