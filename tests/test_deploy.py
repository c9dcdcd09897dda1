"""The deployment's pieces that are code: deploy/singleton.py runs a job on one host at a time."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

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
