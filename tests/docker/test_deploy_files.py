"""The deployment files under docker/ (compose, SLURM, Kubernetes, Dockerfile): properties that break silently.

No Docker daemon, SLURM or cluster is needed: files are parsed, scripts are run with stand-ins (a fake sbatch), and the
commands they invoke are checked against the real `autosynthda <cmd> --help`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
DOCKER = REPO / "docker"
COMPOSE = DOCKER / "compose.yaml"
COMPOSE_OVERRIDES = [DOCKER / "compose.gpu.yaml", DOCKER / "compose.tao-docker.yaml"]
K8S = DOCKER / "k8s"
SLURM = DOCKER / "slurm"
SHELL_SCRIPTS = [SLURM / "setup.sbatch", SLURM / "worker.sbatch", SLURM / "submit.sh", DOCKER / "with-gpu-slot.sh"]
# What the optional override files require; the base file needs none of it.
OVERRIDE_ENV = {
    "GPU_COUNT": "2",
    "STUDIES_HOST_DIR": "/srv/autosynthda/studies",
    "TAO_PRETRAINED_DIR": "/srv/autosynthda/pretrained",
    "DOCKER_GID": "998",
}
PASSWORD_IN_URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^/@\s:]+:[^/@\s]+@")


# --- helpers ----------------------------------------------------------------------------------------------------------


def _interpolate(value, env: dict[str, str]):
    """Compose's variable substitution: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, $$."""

    def one(match: re.Match) -> str:
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if op in (":-", "-"):
            return env.get(name) or arg if op == ":-" else env.get(name, arg)
        if op in (":?", "?"):
            if not env.get(name):
                raise KeyError(f"{name}: {arg}")
            return env[name]
        return env.get(name, "")

    if isinstance(value, str):
        value = re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}", one, value)
        return value.replace("$$", "$")
    if isinstance(value, dict):
        return {k: _interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_interpolate(v, env) for v in value]
    return value


def _load_compose(*files: Path, env: dict[str, str] | None = None) -> dict:
    """The merged services of the compose files, interpolated (later files override keys, volumes merge by target)."""
    env = {} if env is None else env
    services: dict[str, dict] = {}
    for path in files:
        doc = _interpolate(yaml.safe_load(path.read_text()), env)
        for name, spec in doc.get("services", {}).items():
            merged = services.setdefault(name, {})
            for key, value in spec.items():
                if key == "volumes" and key in merged:
                    by_target = {_mount_target(v): v for v in merged[key]}
                    by_target.update({_mount_target(v): v for v in value})
                    merged[key] = list(by_target.values())
                elif key == "environment" and key in merged:
                    merged[key] = {**merged[key], **value}
                else:
                    merged[key] = value
    return services


def _mount_target(volume) -> str:
    return volume["target"] if isinstance(volume, dict) else volume.split(":")[1]


def _mount_read_only(volume) -> bool:
    if isinstance(volume, dict):
        return bool(volume.get("read_only"))
    return volume.split(":")[-1] in ("ro", "readonly") and volume.count(":") >= 2


def _k8s_docs() -> dict[str, list[dict]]:
    return {path.name: [d for d in yaml.safe_load_all(path.read_text()) if d] for path in sorted(K8S.glob("*.yaml"))}


def _k8s_objects(kind: str) -> dict[str, dict]:
    return {d["metadata"]["name"]: d for docs in _k8s_docs().values() for d in docs if d["kind"] == kind}


def _pod_spec(obj: dict) -> dict:
    return obj["spec"]["template"]["spec"]


def _cli_binary() -> Path | None:
    beside = Path(sys.executable).parent / "autosynthda"
    if beside.is_file():
        return beside
    found = shutil.which("autosynthda")
    return Path(found) if found else None


def _cli_flags(command: str) -> set[str]:
    """The long options `autosynthda <command> --help` lists; skips when the command does not exist yet."""
    binary = _cli_binary()
    if binary is None:
        pytest.skip("the autosynthda console script is not installed (make setup)")
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "TERM": "dumb"}
    result = subprocess.run([str(binary), command, "--help"], capture_output=True, text=True, env=env, timeout=120)
    if result.returncode != 0:
        if "No such command" in result.stdout + result.stderr:
            pytest.skip(f"`autosynthda {command}` does not exist yet: its flags cannot be checked")
        pytest.fail(f"`autosynthda {command} --help` failed (rc {result.returncode}):\n{result.stderr[-2000:]}")
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", result.stdout))


def _invocations() -> list[tuple[str, list[str]]]:
    """(where, argv after `autosynthda`) of every autosynthda setup/worker command the deployment files run."""
    found: list[tuple[str, list[str]]] = []
    for path in [COMPOSE, *COMPOSE_OVERRIDES]:
        for name, spec in (yaml.safe_load(path.read_text()).get("services") or {}).items():
            command = spec.get("command")
            if not isinstance(command, list):
                continue
            if command[:1] in (["setup"], ["worker"]):
                found.append((f"{path.name}:{name}", command))
            elif command[:1] == ["autosynthda"]:
                found.append((f"{path.name}:{name}", command[1:]))
    for name, job in _k8s_objects("Job").items():
        for container in _pod_spec(job)["containers"]:
            if container.get("command") == ["autosynthda"]:
                found.append((f"k8s:{name}", container["args"]))
    for path in SLURM.glob("*.sbatch"):
        argv: list[str] = []
        for match in re.finditer(r"^\s*cmd(\+?)=\((.*)\)\s*$", path.read_text(), re.M):
            words = shlex.split(match.group(2))
            argv = [*argv, *words] if match.group(1) else words[1:]  # words[0] is "$bin", the console script
        if argv:
            found.append((f"slurm:{path.name}", argv))
    return found


# --- every file parses ------------------------------------------------------------------------------------------------


def test_every_yaml_file_under_docker_parses():
    files = sorted(DOCKER.rglob("*.yaml"))
    assert len(files) >= 7, files
    for path in files:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        assert docs and all(isinstance(d, dict) for d in docs), path


@pytest.mark.parametrize("script", SHELL_SCRIPTS, ids=lambda p: p.name)
def test_shell_scripts_pass_bash_n_and_never_eval(script):
    result = subprocess.run(["bash", "-n", str(script)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert os.access(script, os.X_OK), f"{script} is not executable"
    code = "\n".join(line for line in script.read_text().splitlines() if not line.lstrip().startswith("#"))
    assert not re.search(r"\beval\b", code), f"{script}: commands are bash arrays, never eval'd strings"


def test_shell_scripts_pass_shellcheck_where_installed():
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck): bash -n above still ran")
    result = subprocess.run([shellcheck, *map(str, SHELL_SCRIPTS)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout


# --- the commands match the CLI -----------------------------------------------------------------------------------------


def test_deployment_files_invoke_setup_and_worker_everywhere():
    where = {(w.split(":")[0], argv[0]) for w, argv in _invocations()}
    for place in ("compose.yaml", "k8s", "slurm"):
        assert (place, "setup") in where, f"{place} never runs `autosynthda setup`"
        assert (place, "worker") in where, f"{place} never runs `autosynthda worker`"


@pytest.mark.parametrize("command", ["setup", "worker"])
def test_invoked_flags_exist_in_the_cli(command):
    flags = _cli_flags(command)
    assert "--storage" in flags and "--studies-dir" in flags, f"unexpected --help output: {sorted(flags)}"
    for where, argv in _invocations():
        if argv[0] != command:
            continue
        used = {a.split("=")[0] for a in argv if a.startswith("--")}
        assert used <= flags, f"{where}: `autosynthda {command}` has no {sorted(used - flags)} (it has {sorted(flags)})"
        assert not argv[1].startswith("-"), f"{where}: the study YAML must come first: {argv}"


def test_workers_on_one_gpu_per_task_say_gpu_0():
    for where, argv in _invocations():
        if argv[0] == "worker" and where.split(":")[0] in ("k8s", "slurm"):
            assert argv[argv.index("--gpu") + 1] == "0", where


def test_slurm_workers_run_tao_through_apptainer():
    (argv,) = [argv for where, argv in _invocations() if where == "slurm:worker.sbatch"]
    assert argv[argv.index("--runtime") + 1] == "$runtime"
    assert re.search(r'^runtime="\$\{AUTOSYNTHDA_RUNTIME-apptainer\}"$', (SLURM / "worker.sbatch").read_text(), re.M)


def test_k8s_worker_pods_get_distinct_sampler_seeds():
    """Pods have alike pids, so a pid-derived seed would repeat: the completion index seeds each pod."""
    job = _k8s_objects("Job")["autosynthda-worker"]
    assert job["spec"]["completionMode"] == "Indexed"
    (container,) = _pod_spec(job)["containers"]
    args = container["args"]
    assert args[args.index("--seed") + 1] == "$(JOB_COMPLETION_INDEX)"


# --- compose --------------------------------------------------------------------------------------------------------------


def test_compose_publishes_ports_on_loopback_only():
    services = _load_compose(COMPOSE, *COMPOSE_OVERRIDES, env=OVERRIDE_ENV)
    published = 0
    for name, spec in services.items():
        for port in spec.get("ports", []):
            published += 1
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", f"{name}: {port}"
            else:
                assert str(port).startswith("127.0.0.1:"), f"{name}: port {port} is not bound to 127.0.0.1"
    assert published >= 3  # postgres, mlflow, optuna-dashboard


def test_compose_data_and_config_are_mounted_read_only():
    for files in ([COMPOSE], [COMPOSE, *COMPOSE_OVERRIDES]):
        services = _load_compose(*files, env=OVERRIDE_ENV)
        for name in ("setup", "worker"):
            volumes = {_mount_target(v): v for v in services[name]["volumes"]}
            assert _mount_read_only(volumes["/data"]), f"{name}: /data must be read-only"
            assert _mount_read_only(volumes["/config"]), f"{name}: /config must be read-only"
        pretrained = OVERRIDE_ENV["TAO_PRETRAINED_DIR"]
        if len(files) > 1:
            assert _mount_read_only({_mount_target(v): v for v in services["worker"]["volumes"]}[pretrained])


def test_compose_workers_wait_for_setup_which_waits_for_the_servers():
    services = _load_compose(COMPOSE)
    assert services["worker"]["depends_on"]["setup"]["condition"] == "service_completed_successfully"
    assert services["setup"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert services["setup"]["depends_on"]["mlflow"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"] and "healthcheck" in services["mlflow"]
    assert services["setup"].get("restart") == "no"
    assert "deploy" not in services["worker"] or "replicas" not in services["worker"]["deploy"]  # --scale decides
    assert "container_name" not in services["worker"]  # a fixed name makes --scale impossible


def test_compose_docker_socket_is_opt_in():
    base = _load_compose(COMPOSE)
    for name, spec in base.items():
        sources = [v.get("source") if isinstance(v, dict) else v.split(":")[0] for v in spec.get("volumes", [])]
        assert "/var/run/docker.sock" not in sources, f"{name}: the Docker socket is root on the host: opt-in only"
    tao = _load_compose(COMPOSE, *COMPOSE_OVERRIDES, env=OVERRIDE_ENV)["worker"]
    targets = {_mount_target(v): v for v in tao["volumes"]}
    assert "/var/run/docker.sock" in targets
    assert OVERRIDE_ENV["DOCKER_GID"] in tao["group_add"]
    # The host daemon resolves bind sources on the host: the studies folder must be at the same path on both sides,
    # and the worker must be told to use it (and to put its private spec folders there).
    studies = OVERRIDE_ENV["STUDIES_HOST_DIR"]
    assert targets[studies]["source"] == studies
    assert tao["command"][tao["command"].index("--studies-dir") + 1] == studies
    assert tao["environment"]["TMPDIR"].startswith(studies + "/")


def test_compose_override_files_fail_loudly_without_their_settings():
    with pytest.raises(KeyError, match="GPU_COUNT"):
        _load_compose(COMPOSE, DOCKER / "compose.gpu.yaml")
    with pytest.raises(KeyError, match="STUDIES_HOST_DIR"):
        _load_compose(COMPOSE, DOCKER / "compose.tao-docker.yaml")


def test_compose_holds_no_secret_but_the_marked_dev_default():
    text = COMPOSE.read_text()
    assert not PASSWORD_IN_URL.search(text)
    defaults = re.findall(r"\$\{POSTGRES_PASSWORD:-([^}]*)\}", text)
    assert defaults and set(defaults) == {"autosynthda-dev-only"}, defaults
    for line in text.splitlines():  # the default is only ever the fallback of the variable
        if "autosynthda-dev-only" in line:
            assert "${POSTGRES_PASSWORD:-autosynthda-dev-only}" in line, line
    services = _load_compose(COMPOSE)
    for name in ("setup", "worker", "mlflow", "optuna-dashboard"):
        env = services[name].get("environment", {})
        assert "PGPASSWORD" in env, f"{name}: clients read the password from PGPASSWORD"
    assert (DOCKER / ".gitignore").read_text().splitlines().count(".env") == 1


def test_compose_config_validates_with_the_compose_cli_where_installed(tmp_path):
    """`docker compose config` (v2 plugin) or docker-compose (v1, which has no top-level `name:`)."""
    env = {**os.environ, **OVERRIDE_ENV}
    files = [COMPOSE, *COMPOSE_OVERRIDES]
    if shutil.which("docker") and subprocess.run(["docker", "compose", "version"], capture_output=True).returncode == 0:
        argv = ["docker", "compose"]
    elif shutil.which("docker-compose"):
        argv = ["docker-compose"]
        stripped = tmp_path / "compose.yaml"
        stripped.write_text("".join(line for line in COMPOSE.read_text().splitlines(True) if not line.startswith("name:")))
        files = [stripped, *COMPOSE_OVERRIDES]
    else:
        pytest.skip("neither the docker compose plugin nor docker-compose is installed")
    for chosen in ([files[0]], files):
        args = [*argv, "--project-directory", str(DOCKER), *[a for f in chosen for a in ("-f", str(f))], "config", "-q"]
        result = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
        assert result.returncode == 0, f"{' '.join(args)}:\n{result.stderr}"


# --- Kubernetes ----------------------------------------------------------------------------------------------------------


def test_k8s_references_resolve_to_defined_objects():
    pvcs = _k8s_objects("PersistentVolumeClaim")
    secrets = _k8s_objects("Secret")
    services = _k8s_objects("Service")
    pods = {**_k8s_objects("Job"), **_k8s_objects("StatefulSet")}
    assert {"autosynthda-setup", "autosynthda-worker", "autosynthda-postgres"} <= set(pods)
    for name, obj in pods.items():
        spec = _pod_spec(obj)
        for volume in spec.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in pvcs, f"{name}: {volume}"
        for container in spec["containers"]:
            mounted = {m["name"] for m in container.get("volumeMounts", [])}
            assert mounted <= {v["name"] for v in spec.get("volumes", [])}, name
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] in secrets, f"{name}: secret {ref['name']} is not defined"
                    assert ref["key"] in secrets[ref["name"]]["stringData"], f"{name}: key {ref['key']}"
                value = env.get("value", "")
                if value.startswith("postgresql"):
                    host = re.match(r"[^:]+://[^@]*@([^:/]+)", value).group(1)
                    assert host in services, f"{name}: {env['name']} points at {host}, not a Service here"
    postgres = _k8s_objects("StatefulSet")["autosynthda-postgres"]
    selector = postgres["spec"]["selector"]["matchLabels"]
    assert services["autosynthda-postgres"]["spec"]["selector"] == selector
    assert postgres["spec"]["template"]["metadata"]["labels"] == selector


def test_k8s_worker_job_one_gpu_each_on_a_shared_studies_volume():
    job = _k8s_objects("Job")["autosynthda-worker"]
    assert job["spec"]["parallelism"] == job["spec"]["completions"] >= 2
    (container,) = _pod_spec(job)["containers"]
    assert int(container["resources"]["limits"]["nvidia.com/gpu"]) == 1
    claims = {v["name"]: v["persistentVolumeClaim"]["claimName"] for v in _pod_spec(job)["volumes"] if "persistentVolumeClaim" in v}
    pvcs = _k8s_objects("PersistentVolumeClaim")
    assert pvcs[claims["studies"]]["spec"]["accessModes"] == ["ReadWriteMany"]
    setup = _k8s_objects("Job")["autosynthda-setup"]
    setup_claims = {v["persistentVolumeClaim"]["claimName"] for v in _pod_spec(setup)["volumes"] if "persistentVolumeClaim" in v}
    assert claims["studies"] in setup_claims  # setup writes the pair bank and renders where the workers read them


def test_k8s_data_is_read_only_and_pods_run_as_non_root():
    for name, job in _k8s_objects("Job").items():
        spec = _pod_spec(job)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        volumes = {v["name"]: v for v in spec["volumes"]}
        for container in spec["containers"]:
            for mount in container["volumeMounts"]:
                if mount["mountPath"] in ("/data", "/config"):
                    assert mount.get("readOnly") is True, f"{name}: {mount}"
        assert volumes["data"]["persistentVolumeClaim"].get("readOnly") is True, name


def test_k8s_secret_is_a_marked_placeholder_and_no_url_carries_a_password():
    (secret,) = _k8s_objects("Secret").values()
    assert "change-me" in secret["stringData"]["password"]
    assert "DEV-ONLY" in (K8S / "postgres.yaml").read_text()
    for path in K8S.glob("*.yaml"):
        assert not PASSWORD_IN_URL.search(path.read_text()), path


def test_k8s_manifests_round_trip_through_the_typed_api_models_where_installed():
    """Offline schema check (kubectl --dry-run needs a server): an unknown or misplaced field does not survive."""
    client = pytest.importorskip("kubernetes.client", reason="the kubernetes Python client is not installed")
    api = client.ApiClient()

    def clean(value):
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if v is not None}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    for docs in _k8s_docs().values():
        for doc in docs:
            version = doc["apiVersion"].split("/")[-1]
            model = f"{version.capitalize()}{doc['kind']}"
            obj = api._ApiClient__deserialize(doc, model)
            assert clean(api.sanitize_for_serialization(obj)) == clean(doc), f"{doc['kind']} {doc['metadata']['name']}"


# --- SLURM -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def fake_sbatch(tmp_path):
    """An sbatch that records its argv (one line, NUL-separated args) and answers like `sbatch --parsable`."""
    log = tmp_path / "sbatch.log"
    script = tmp_path / "sbatch"
    script.write_text(
        "#!/usr/bin/env bash\n"
        'printf "%s\\0" "$@" >> "$SBATCH_LOG"; echo >> "$SBATCH_LOG"\n'
        'n=$(wc -l < "$SBATCH_LOG")\n'
        'if (( n == 1 )); then echo "4242;clusterA"; else echo "4243;clusterA"; fi\n'
    )
    script.chmod(0o755)

    def calls() -> list[list[str]]:
        if not log.exists():
            return []
        return [line.rstrip("\0").split("\0") for line in log.read_text().splitlines() if line]

    return script, log, calls


def _submit(tmp_path, fake_sbatch, storage: str, *args: str):
    script, log, _ = fake_sbatch
    study = tmp_path / "study.yaml"
    study.write_text("name: x\n")
    env = {
        **os.environ,
        "SBATCH": str(script),
        "SBATCH_LOG": str(log),
        "AUTOSYNTHDA_STORAGE": storage,
        "STUDIES_DIR": str(tmp_path / "studies"),
        "SBATCH_EXTRA": "--partition=gpu --account=me",
    }
    return subprocess.run(
        ["bash", str(SLURM / "submit.sh"), str(study), *args], capture_output=True, text=True, env=env, cwd=tmp_path
    )


def test_slurm_submit_chains_the_worker_array_on_the_parsed_setup_id(tmp_path, fake_sbatch):
    result = _submit(tmp_path, fake_sbatch, "postgresql+psycopg2://me@db.cluster:5432/optuna", "3")
    assert result.returncode == 0, result.stderr
    setup, worker = fake_sbatch[2]()
    assert setup[-1] == str(SLURM / "setup.sbatch") and "--parsable" in setup
    assert worker[-1] == str(SLURM / "worker.sbatch") and "--parsable" in worker
    assert "--dependency=afterok:4242" in worker  # the id, without sbatch's ";cluster" suffix
    assert "--array=0-2" in worker
    assert "--dependency=afterok:4242" not in setup
    for call in (setup, worker):
        assert "--partition=gpu" in call and "--account=me" in call  # SBATCH_EXTRA split into separate arguments
    assert "4243" in result.stdout


@pytest.mark.parametrize(
    "storage, reason",
    [
        ("sqlite:////shared/study.db", "PostgreSQL"),
        ("journal:////shared/study.journal", "PostgreSQL"),
        ("postgresql+psycopg2://me:s3cret@db:5432/optuna", "pgpass"),
        ("", "AUTOSYNTHDA_STORAGE"),
    ],
)
def test_slurm_submit_refuses_unsafe_storage_before_submitting(tmp_path, fake_sbatch, storage, reason):
    result = _submit(tmp_path, fake_sbatch, storage)
    assert result.returncode == 2
    assert reason in result.stderr
    assert "s3cret" not in result.stderr + result.stdout
    assert fake_sbatch[2]() == []


def test_slurm_submit_stops_when_sbatch_gives_no_job_id(tmp_path, fake_sbatch):
    script, _, calls = fake_sbatch
    script.write_text('#!/usr/bin/env bash\necho "sbatch: error: Batch job submission failed"\n')
    result = _submit(tmp_path, fake_sbatch, "postgresql+psycopg2://me@db:5432/optuna")
    assert result.returncode == 2 and "job id" in result.stderr


def test_slurm_jobs_request_one_gpu_per_task_and_run_as_their_header_says():
    worker = (SLURM / "worker.sbatch").read_text()
    setup = (SLURM / "setup.sbatch").read_text()
    assert re.search(r"^#SBATCH --gres=gpu:1$", worker, re.M)
    assert "--gres" not in setup  # setup renders on the CPU and holds no GPU
    for text in (worker, setup):
        assert text.startswith("#!/bin/bash\n")
        assert 'exec "${cmd[@]}"' in text
        # sbatch stops reading #SBATCH lines at the first command
        header = text.split("set -euo pipefail")[0]
        assert all(line.startswith("#") or not line.strip() for line in header.splitlines())
        assert "AUTOSYNTHDA_STORAGE" in text and "echo" in text
        for line in text.splitlines():
            if line.lstrip().startswith("echo"):
                assert "STORAGE" not in line, f"a URL is never echoed: {line}"


# --- the GPU slot wrapper of `docker compose --scale worker=N` -----------------------------------------------------------


def test_gpu_slots_give_concurrent_replicas_distinct_gpus(tmp_path):
    env = {**os.environ, "GPU_COUNT": "2", "GPU_SLOT_DIR": str(tmp_path / "slots")}
    out = tmp_path / "out"
    out.mkdir()
    # Each stand-in worker records its --gpu argument and holds its slot for a while.
    argv = ["bash", "-c", 'echo "$@" > "$0/$$"; sleep 3', str(out)]
    first = [subprocess.Popen([str(DOCKER / "with-gpu-slot.sh"), *argv], env=env) for _ in range(2)]
    deadline = time.monotonic() + 10
    while len(list(out.iterdir())) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    third = subprocess.run([str(DOCKER / "with-gpu-slot.sh"), *argv], env=env, capture_output=True, text=True)
    assert third.returncode == 3 and "taken" in third.stderr
    assert [p.wait(timeout=20) for p in first] == [0, 0]
    assert sorted(p.read_text().split() for p in out.iterdir()) == [["--gpu", "0"], ["--gpu", "1"]]
    # a finished worker frees its slot
    again = subprocess.run([str(DOCKER / "with-gpu-slot.sh"), "echo"], env=env, capture_output=True, text=True)
    assert again.returncode == 0 and again.stdout.split() == ["--gpu", "0"]


def test_gpu_slots_off_runs_the_command_unchanged(tmp_path):
    env = {**os.environ, "GPU_COUNT": "0", "TMPDIR": str(tmp_path / "spec-tmp")}
    result = subprocess.run([str(DOCKER / "with-gpu-slot.sh"), "echo", "worker", "x.yaml"], env=env, capture_output=True, text=True)
    assert result.returncode == 0 and result.stdout.split() == ["worker", "x.yaml"]
    assert (tmp_path / "spec-tmp").is_dir()  # TMPDIR must exist, else Python silently falls back to /tmp


# --- the image ----------------------------------------------------------------------------------------------------------


def test_dockerfile_installs_from_the_repo_copy_and_runs_as_non_root():
    text = (DOCKER / "Dockerfile").read_text()
    assert re.search(r'^ENTRYPOINT \["autosynthda"\]$', text, re.M)
    (user,) = re.findall(r"^USER (\S+)$", text, re.M)
    assert user.split(":")[0] not in ("root", "0")
    assert re.search(r"^ARG UID=(\d+)$", text, re.M).group(1) != "0"
    assert re.search(r"^ARG TORCH_SPEC=torch==2\.13\.0$", text, re.M)  # CPU default; a build ARG changes it
    assert "TORCH_INDEX_URL" in text
    assert re.search(r"^COPY \. /app$", text, re.M) and "pip install -e /app" in text
    # compose's worker entrypoint lives in the image at the path compose names
    entry = _load_compose(COMPOSE)["worker"]["entrypoint"][0]
    assert entry.startswith("/app/") and (REPO / entry.removeprefix("/app/")).is_file()


def test_dockerignore_keeps_state_and_secrets_out_of_the_build_context():
    patterns = {line.strip() for line in (REPO / ".dockerignore").read_text().splitlines() if line.strip() and not line.startswith("#")}
    assert {".git", ".venv", "studies/*/"} <= patterns
    assert "docker/.env" in patterns or "**/.env" in patterns
    assert not any(p in patterns for p in ("studies", "studies/", "docker", "tao_specs"))  # the image needs these


# --- storage URLs work with the installed drivers ------------------------------------------------------------------------


def _deploy_urls() -> set[str]:
    urls: set[str] = set()
    files = [COMPOSE, *COMPOSE_OVERRIDES, *K8S.glob("*.yaml"), *SLURM.iterdir()]
    for path in files:
        urls.update(re.findall(r"postgresql[a-z0-9+]*://[^\s\"',]+", path.read_text()))
    return urls


def test_postgres_urls_in_the_deployment_files_load_an_installed_driver():
    """SQLAlchemy 2.1 maps a bare postgresql:// to psycopg 3; the project installs psycopg2-binary."""
    import sqlalchemy

    urls = _deploy_urls()
    assert urls
    for url in urls:
        engine = sqlalchemy.create_engine(url.replace("...", "db"))  # imports the DBAPI, connects nowhere
        assert engine.dialect.driver == "psycopg2", url
        engine.dispose()
