"""`bench workers` on a journal file: real worker processes, a table with the measured rows and the bottleneck."""

from __future__ import annotations

from bench.workers import WorkersRow, bottleneck, run_workers_benchmark, write_table


def test_a_small_run_measures_every_trial_and_names_the_bottleneck(tmp_path):
    rows = run_workers_benchmark([1, 2], ["journal"], seconds=0.3, trials_per_worker=2, log=lambda _: None)
    assert [(r.storage, r.workers, r.trials) for r in rows] == [("journal", 1, 2), ("journal", 2, 4)]
    assert rows[0].efficiency == 1.0
    for row in rows:
        assert row.mean_trial_s >= 0.3  # the stand-in's sleep is inside every trial
        assert 0 < row.busy <= 1.0 and row.trials_per_hour < row.ideal_per_hour
    text = write_table(rows, tmp_path / "workers.md", seconds=0.3, trials_per_worker=2)
    assert (tmp_path / "workers.md").read_text() == text
    assert "| journal | 2 | 4 |" in text and "Bottleneck (journal)" in text


def row(workers: int, render: float, storage: float) -> WorkersRow:
    return WorkersRow("postgresql", workers, 4 * workers, 10.0, 100.0, 1800.0 * workers, 1.0 / workers, 3.0, render,
                      storage, 0.9)


def test_the_bottleneck_is_what_grows_with_the_workers():
    assert "the CPU work each trial does" in bottleneck([row(1, 0.3, 0.1), row(8, 2.0, 0.2)])[0]
    assert "the storage round trips" in bottleneck([row(1, 0.3, 0.1), row(8, 0.4, 1.5)])[0]
    assert bottleneck([row(1, 0.3, 0.1)]) == []
