"""Odoo nodes (real ``odoo-bin`` in prefork mode) and a private PostgreSQL cluster."""

import os
import re
import shutil
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

from bench import runner as bench

PG_BIN = Path(os.environ.get("LOAD_PG_BIN", "/usr/lib/postgresql/15/bin"))


class Node:
    """One Odoo server: ``--workers`` HTTP workers and ``--max-cron-threads`` cron
    workers on one database, its own HTTP (and gevent) port, logs under bench/results."""

    def __init__(self, db, port, workers=4, crons=2, name="node", db_port=None):
        self.db = db
        self.port = port
        self.workers = workers
        self.crons = crons
        self.name = name
        self.db_port = db_port
        self.log_path = bench.RESULTS_DIR / "logs" / f"{name}.log"
        self.proc = None

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @staticmethod
    def start_all(nodes, timeout=180, notify=True):
        """Start the nodes side by side; then wake every node's cron workers at once
        (``notify=False``: they run at their first poll, within a minute)."""
        for node in nodes:
            node.spawn()
        for node in nodes:
            node.wait_ready(timeout)
        for node in nodes if notify else ():
            node.notify_crons()

    @staticmethod
    def stop_all(nodes, timeout=20):
        """SIGTERM (graceful) to every running node, SIGKILL of the process group of
        those still running after ``timeout`` seconds."""
        running = [node for node in nodes if node.proc and node.proc.poll() is None]
        for node in running:
            node.proc.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for node in running:
            try:
                node.proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(node.proc.pid, signal.SIGKILL)
                node.proc.wait()

    def start(self, timeout=180):
        self.spawn()
        self.wait_ready(timeout)
        self.notify_crons()
        return self

    def spawn(self):
        args = [
            "-d", self.db, "--db-filter", f"^{self.db}$",
            "--workers", str(self.workers), "--max-cron-threads", str(self.crons),
            "--http-port", str(self.port), "--gevent-port", str(self.port + 1),
            "--http-interface", "127.0.0.1",
            "--log-level", "info", "--logfile", str(self.log_path),
            "--limit-time-real", "300", "--limit-time-cpu", "240",
        ]  # fmt: skip
        if self.db_port:
            args += ["--db_port", str(self.db_port)]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self.log_path.write_text("")
        # own session: the node and its workers are stopped by the master's pid only
        self.proc = subprocess.Popen(
            bench.odoo_cmd(*args),
            cwd=bench.REPO_ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout=180):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"{self.url}/web/health", timeout=5) as response:
                    if response.status == 200:
                        return self
            except OSError:
                pass
            time.sleep(0.5)
        raise RuntimeError(f"{self.name} not up after {timeout} s:\n{self.log_tail()}")

    def notify_crons(self):
        """Wake the cron workers up now (what ``ir.cron._trigger`` does), instead of at
        their next poll (up to a minute)."""
        import psycopg2

        conn = psycopg2.connect(
            dbname="postgres", host=os.environ.get("PGHOST", "localhost"),
            port=self.db_port or os.environ.get("PGPORT", "5432"),
            user=os.environ.get("PGUSER", "odoo"), password=os.environ.get("PGPASSWORD", "odoo"),
        )  # fmt: skip
        conn.autocommit = True
        try:
            with conn.cursor() as cr:
                cr.execute("SELECT pg_notify('cron_trigger', %s)", [self.db])
        finally:
            conn.close()

    def children(self):
        """``{pid: title}`` of the master's worker processes."""
        out = subprocess.run(
            ["ps", "-o", "pid=,args=", "--ppid", str(self.proc.pid)],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        result = {}
        for line in out.splitlines():
            pid, _sep, title = line.strip().partition(" ")
            result[int(pid)] = title
        return result

    def workers_of(self, kind):
        """Live worker processes of ``kind`` (WorkerCron, WorkerHTTP): the master's
        children that the log announced as such (process titles need setproctitle)."""
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        announced = {int(pid) for pid in re.findall(rf"Worker {kind} \((\d+)\) alive", text)}
        return [pid for pid, title in self.children().items() if kind in title or pid in announced]

    def cron_workers(self):
        return self.workers_of("WorkerCron")

    def http_workers(self):
        return self.workers_of("WorkerHTTP")

    def stop(self):
        Node.stop_all([self])

    def log_tail(self, lines=20):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def log_errors(self):
        """ERROR/CRITICAL entries of the node's log (first line, with the line after a
        "bad query"), except the serialization failures that were handled: PostgreSQL
        refusing a row lock to a worker whose snapshot is older than a concurrent commit
        (two cron jobs sharing leads ``FOR UPDATE SKIP LOCKED``); Odoo logs the failed
        query, the caller retries with a fresh snapshot. See ``retried_conflicts``."""
        return [entry for entry in self._error_entries() if not self._handled(entry)]

    def retried_conflicts(self):
        return sum(1 for entry in self._error_entries() if self._handled(entry))

    @staticmethod
    def _handled(entry):
        return "bad query" in entry and "could not serialize access" in entry

    def _error_entries(self):
        text = self.log_path.read_text(errors="replace") if self.log_path.exists() else ""
        lines = text.splitlines()
        entries = []
        for index, line in enumerate(lines):
            if " ERROR " in line or " CRITICAL " in line:
                following = next(
                    (nxt for nxt in lines[index + 1 : index + 40] if nxt.startswith("ERROR:")),
                    "",
                )
                entries.append(f"{line[:300]} {following}")
        return entries


class PrivateCluster:
    """A PostgreSQL cluster of our own (Debian's binaries), for the fault that restarts
    PostgreSQL: the developer's cluster, shared with other work, is never restarted."""

    def __init__(self, port, data_dir):
        self.port = port
        self.data_dir = Path(data_dir)
        self.user = os.environ.get("PGUSER", "odoo")
        self.password = os.environ.get("PGPASSWORD", "odoo")

    def env(self):
        return dict(
            os.environ,
            PGPORT=str(self.port),
            PGHOST="localhost",
            PGUSER=self.user,
            PGPASSWORD=self.password,
        )

    @staticmethod
    def as_owner(cmd):
        """PostgreSQL's server binaries refuse to run as root: as ``postgres`` then."""
        if os.geteuid() == 0:
            return ["runuser", "-u", "postgres", "--", *cmd]
        return cmd

    def pg_ctl(self, *args):
        subprocess.run(
            self.as_owner(
                [str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-w", "-t", "60", *args]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )

    def start(self):
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            pwfile = self.data_dir.parent / f"{self.data_dir.name}.pw"
            pwfile.write_text(self.password + "\n")
            if os.geteuid() == 0:
                shutil.chown(self.data_dir, "postgres", "postgres")
                shutil.chown(pwfile, "postgres", "postgres")
            subprocess.run(
                self.as_owner([
                    str(PG_BIN / "initdb"), "-D", str(self.data_dir), "-U", self.user,
                    f"--pwfile={pwfile}", "--auth-host=scram-sha-256", "--auth-local=trust",
                    "-E", "UTF8", "--locale=C.UTF-8",
                ]),
                check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            pwfile.unlink()
        self.stop()
        log_file = self.data_dir / "server.log"
        self.pg_ctl(
            "-l", str(log_file),
            "-o", f"-p {self.port} -k {self.data_dir} -c listen_addresses=localhost "
            "-c shared_buffers=128MB -c fsync=off -c max_connections=100",
            "start",
        )  # fmt: skip
        return self

    def restart(self):
        self.pg_ctl("-m", "fast", "restart")

    def stop(self):
        if (self.data_dir / "postmaster.pid").exists():
            try:
                self.pg_ctl("-m", "fast", "stop")
            except subprocess.CalledProcessError:
                pass  # a stale pid file: not running

    def drop_database(self, name):
        subprocess.run(["dropdb", "--if-exists", name], env=self.env(), check=False)

    def copy_database(self, source, target):
        """``pg_dump -Fc`` of ``source`` (developer's cluster) restored as ``target``
        here, filestore included."""
        env = self.env()
        subprocess.run(["dropdb", "--if-exists", target], env=env, check=True)
        subprocess.run(["createdb", target], env=env, check=True)
        source_env = dict(
            os.environ,
            PGHOST=os.environ.get("PGHOST", "localhost"),
            PGUSER=self.user,
            PGPASSWORD=self.password,
        )
        dump = subprocess.Popen(["pg_dump", "-Fc", source], stdout=subprocess.PIPE, env=source_env)
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", target], stdin=dump.stdout, env=env, check=True
        )
        dump.wait()
        source_files = bench.filestore(source)
        target_files = bench.filestore(target)
        if source_files.is_dir() and source_files != target_files:
            shutil.rmtree(target_files, ignore_errors=True)
            shutil.copytree(source_files, target_files)
