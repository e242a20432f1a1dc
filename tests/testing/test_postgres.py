"""The throwaway PostgreSQL of tests/conftest.py, used the way cluster workers use it: one Optuna RDBStorage shared by
worker processes (spawned, like separate machines' processes: nothing inherited but the URL)."""

from __future__ import annotations

import multiprocessing
import os
import runpy
import time

import optuna
import psycopg2

CHILD = "__postgres_worker__"  # run_name of this file when a spawned child executes it (see _spawn_workers)


def _objective(trial: optuna.Trial) -> float:
    x = trial.suggest_float("x", -10.0, 10.0)
    trial.set_user_attr("pid", os.getpid())
    time.sleep(0.02)  # keeps both workers' trials interleaved
    return (x - 2.0) ** 2


def _worker(url: str, study_name: str, n_trials: int) -> None:
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = optuna.storages.RDBStorage(url, heartbeat_interval=30, grace_period=120)
    study = optuna.load_study(study_name=study_name, storage=storage)
    study.optimize(_objective, n_trials=n_trials)


def _spawn_workers(url: str, study_name: str, processes: int, n_trials: int) -> list[int]:
    """Start `processes` spawned workers and wait; their exit codes. pytest imports this file under a name a spawned
    child cannot import, so the child runs the file itself with runpy and the module's last lines call _worker."""
    ctx = multiprocessing.get_context("spawn")
    procs = [
        ctx.Process(
            target=runpy.run_path,
            args=(__file__,),
            kwargs={"run_name": CHILD, "init_globals": {"WORKER_ARGS": (url, study_name, n_trials)}},
        )
        for _ in range(processes)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(timeout=180)
        if proc.is_alive():
            proc.kill()
            proc.join()
    return [proc.exitcode for proc in procs]


def test_two_spawned_workers_share_one_study_with_unique_trial_numbers(postgres_url):
    storage = optuna.storages.RDBStorage(postgres_url)
    optuna.create_study(study_name="shared", storage=storage, sampler=optuna.samplers.RandomSampler(seed=0))

    assert _spawn_workers(postgres_url, "shared", processes=2, n_trials=6) == [0, 0]

    trials = optuna.load_study(study_name="shared", storage=storage).get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert sorted(numbers) == list(range(12)), numbers  # unique and contiguous: no trial lost, none numbered twice
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials)
    assert len({t.user_attrs["pid"] for t in trials}) == 2  # both processes really wrote to the one database


def test_each_test_gets_a_fresh_database_on_loopback(postgres_server, postgres_url):
    assert postgres_url.startswith(f"postgresql+psycopg2://postgres@127.0.0.1:{postgres_server.port}/t_")
    dbname = postgres_url.rsplit("/", 1)[1]
    with psycopg2.connect(host="127.0.0.1", port=postgres_server.port, user="postgres", dbname=dbname) as conn:
        with conn.cursor() as cur:
            cur.execute("SHOW listen_addresses")
            assert cur.fetchone()[0] == "127.0.0.1"
            cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            assert cur.fetchone()[0] == 0  # the study tables of the test before live in that test's own database
    conn.close()
    assert optuna.get_all_study_summaries(storage=postgres_url) == []


def test_server_data_lives_in_a_temp_dir_owned_by_the_server_user(postgres_server):
    assert (postgres_server.data / "PG_VERSION").is_file()
    if os.geteuid() == 0:
        import pwd

        assert postgres_server.data.stat().st_uid == pwd.getpwnam("postgres").pw_uid
    assert not str(postgres_server.root).startswith(os.getcwd())


if __name__ == CHILD:  # a spawned worker: runpy ran this file with init_globals (see _spawn_workers)
    _worker(*globals()["WORKER_ARGS"])
