"""The deployment's pieces that are code: deploy/singleton.py runs a job on one host at a time; bench/topology.py
writes its configs from deploy's files."""

from __future__ import annotations

import importlib
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def started(folder: Path) -> list[str]:
    """The runs of the job so far (each writes a file named by its process id)."""
    return sorted(p.name for p in folder.iterdir())


def wait_for(condition, seconds: float = 20) -> bool:
    """Whether `condition()` came true within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def test_a_job_runs_on_one_host_and_another_takes_over_when_it_stops(postgres_server, tmp_path):
    runs = tmp_path / "runs"
    runs.mkdir()
    job = f"import os, time; open(os.path.join({str(runs)!r}, str(os.getpid())), 'w'); time.sleep(120)"
    env = {**os.environ, "FORUM_JOB_DATABASE_URL": postgres_server}
    name = f"test-{os.getpid()}-{time.time_ns()}"
    hosts = [subprocess.Popen([sys.executable, "deploy/singleton.py", name, "--", sys.executable, "-c", job],
                              cwd=ROOT, env=env, stderr=subprocess.PIPE) for _ in range(2)]
    try:
        assert wait_for(lambda: len(started(runs)) == 1)
        time.sleep(6)  # the other host has tried again meanwhile, and waits
        assert len(started(runs)) == 1
        # Stop whichever host runs it: the job stops with it, and the other host starts it.
        first = started(runs)[0]
        holder = next(h for h in hosts if _runs_child(h.pid, int(first)))
        holder.send_signal(signal.SIGTERM)
        assert wait_for(lambda: len(started(runs)) == 2)
        assert holder.wait(40) == 0
    finally:
        for host in hosts:
            host.terminate()
            host.wait(40)


def _runs_child(parent: int, child: int) -> bool:
    """Whether process `child` is a child of `parent`."""
    try:
        stat = Path(f"/proc/{child}/stat").read_text()
    except OSError:
        return False
    return int(stat.rsplit(")", 1)[1].split()[1]) == parent


def bench_topology(monkeypatch):
    """bench/topology.py, loaded as the script loads itself (its folder on the path)."""
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    return importlib.import_module("topology")


def test_the_topology_bench_writes_its_configs_from_deploy_s_files(monkeypatch, tmp_path):
    topology = bench_topology(monkeypatch)
    hosts = [topology.AppHost("a", "127.0.0.2", 41001, tmp_path), topology.AppHost("b", "127.0.0.3", 41002, tmp_path)]
    haproxy = topology.haproxy_config(tmp_path, 41000, hosts).read_text()
    assert "bind 127.0.0.1:41000" in haproxy and "8080" not in haproxy
    assert "server a 127.0.0.2:41001 check" in haproxy and "server b 127.0.0.3:41002 check" in haproxy
    assert "http-check expect rstring" in haproxy  # deploy's check, unchanged
    assert "expect status 200" in topology.haproxy_config(tmp_path, 41000, hosts, check_status=True).read_text()
    bouncer = topology.pgbouncer_config(tmp_path, 41003, "forum_run").read_text()
    assert "forum = host=127.0.0.1 port=5432 dbname=forum_run" in bouncer
    assert "listen_port = 41003" in bouncer and "pool_mode = transaction" in bouncer
    assert "auth_type = trust" in bouncer
    # Every address the run uses is on this machine.
    assert set(re.findall(r"\b(\d+\.\d+\.\d+\.\d+)\b", haproxy + bouncer)) <= {"127.0.0.1", "127.0.0.2", "127.0.0.3"}
    if shutil.which("haproxy", path="/usr/sbin:/usr/bin:/sbin"):
        checked = subprocess.run(["haproxy", "-c", "-f", str(tmp_path / "haproxy.cfg")], capture_output=True,
                                 text=True, env={**os.environ, "PATH": "/usr/sbin:/usr/bin:/sbin:/bin"})
        assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_topology_bench_refuses_a_deploy_setting_it_cannot_find(monkeypatch):
    topology = bench_topology(monkeypatch)
    with pytest.raises(topology.BenchError, match="no listen_port"):
        topology.rewrite_settings("[pgbouncer]\nlisten_addr = 127.0.0.1\n", {"listen_port": "1"})
