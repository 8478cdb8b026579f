"""`make bench`: benchmarks of sales_funnel_std side by side with vanilla Odoo CRM.

Usage (scripts/bench.sh does the bootstrap first)::

    python -m bench.runner [-n N] [--ops REGEX] [--keep]

1. ``sfb_vanilla_<N>``: crm + project and N generated leads (bench/generate.py);
   cached, rebuilt when N, the generator or the Odoo version changed (the key is the
   database's comment).
2. ``sfb_addon_<N>``: a copy of it (``createdb -T``) on which sales_funnel_std is
   installed, then upgraded: both timed with the peak RSS of the Odoo process (the
   issue-9 "install on an existing database" rows).
3. Every operation of bench/ops (bench.registry), each in its own process
   (bench/run_op.py), rolled back, on the addon database and on the vanilla one.
4. Uninstall on a throw-away copy, then vanilla CRM views and reports are loaded
   (bench/install_cycle.py).

Prints the table, writes bench/results/latest.md (+ JSON) and updates BENCHMARKS.md.
Exit status 1 when any row FAILED.
"""

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
BUILD_DIR = Path(os.environ.get("BUILD_DIR", REPO_ROOT / ".build"))
RESULTS_DIR = REPO_ROOT / "bench" / "results"
BENCHMARKS_MD = REPO_ROOT / "BENCHMARKS.md"
MODULE = "sales_funnel_std"
# the files whose content defines the generated data (cache key of the vanilla DB)
GENERATOR_FILES = ("bench/generate.py",)
INSTALL_TARGET_S = 300
RSS_TARGET = 1.5 * 1024**3
OP_TIMEOUT_S = 3600


def log(message):
    sys.stderr.write(f"\033[1m[bench]\033[0m {message}\n")
    sys.stderr.flush()


# ---------------------------------------------------------------------------
# PostgreSQL and Odoo processes
# ---------------------------------------------------------------------------


def pg_connect(dbname="postgres"):
    import psycopg2

    conn = psycopg2.connect(
        dbname=dbname,
        host=os.environ.get("PGHOST", "localhost"),
        port=os.environ.get("PGPORT", "5432"),
        user=os.environ.get("PGUSER", "odoo"),
        password=os.environ.get("PGPASSWORD", "odoo"),
    )
    conn.autocommit = dbname == "postgres"
    return conn


def pg(query, params=None, fetch=False):
    conn = pg_connect()
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            return cr.fetchall() if fetch else None
    finally:
        conn.close()


def db_comment(dbname):
    rows = pg(
        "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
        [dbname],
        fetch=True,
    )
    if not rows:
        return None
    return rows[0][0] or ""


def filestore(dbname):
    return BUILD_DIR / "filestore" / "filestore" / dbname


def db_drop(dbname):
    pg(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid() AND usename = current_user",
        [dbname],
    )
    pg(f'DROP DATABASE IF EXISTS "{dbname}"')
    shutil.rmtree(filestore(dbname), ignore_errors=True)


def db_copy(source, target):
    db_drop(target)
    # CREATE DATABASE ... TEMPLATE needs the source without connections
    pg(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        "WHERE datname = %s AND pid <> pg_backend_pid() AND usename = current_user",
        [source],
    )
    pg(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    if filestore(source).is_dir():
        shutil.copytree(filestore(source), filestore(target))


def odoo_cmd(*args):
    odoo_bin = (BUILD_DIR / "odoo_bin").read_text().strip()
    return [sys.executable, odoo_bin, "-c", str(BUILD_DIR / "odoo.conf"), *args]


def measured(cmd, log_name):
    """Run ``cmd``; returns (seconds, peak RSS in bytes, exit status). Output -> log file."""
    logs = RESULTS_DIR / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    with open(logs / f"{log_name}.log", "w") as out:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=REPO_ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss: peak resident set of the process (and of children it waited for), KiB
    return elapsed, usage.ru_maxrss * 1024, proc.returncode


def tail(log_name, lines=15):
    path = RESULTS_DIR / "logs" / f"{log_name}.log"
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# ---------------------------------------------------------------------------
# Databases
# ---------------------------------------------------------------------------


def vanilla_key(n):
    digest = hashlib.sha1()
    for name in GENERATOR_FILES:
        digest.update((REPO_ROOT / name).read_bytes())
    release = Path((BUILD_DIR / "odoo_bin").read_text().strip()).parent / "odoo" / "release.py"
    if release.exists():
        digest.update(release.read_bytes())
    digest.update(str(n).encode())
    return digest.hexdigest()[:16]


def ensure_vanilla(n, dbname=None):
    """The cached vanilla database with N leads; returns (name, generation info).
    ``dbname``: another name than ``sfb_vanilla_<N>`` (the load test builds its own)."""
    dbname = dbname or f"sfb_vanilla_{n}"
    key = vanilla_key(n)
    comment = db_comment(dbname)
    if comment and comment.startswith(f"sfb-bench {key} "):
        log(f"reusing {dbname} (generator unchanged)")
        return dbname, json.loads(comment.split(" ", 2)[2])
    log(f"building {dbname}: crm + project, then {n} generated leads")
    db_drop(dbname)
    seconds, _rss, status = measured(
        odoo_cmd("-d", dbname, "-i", "crm,project", "--stop-after-init", "--log-level=warn"),
        f"vanilla_{n}_install",
    )
    if status:
        raise RuntimeError(f"installing crm on {dbname} failed:\n{tail(f'vanilla_{n}_install')}")
    out = RESULTS_DIR / "logs" / f"generate_{n}.json"
    start = time.perf_counter()
    with open(out, "w") as stdout, open(RESULTS_DIR / "logs" / f"generate_{n}.log", "w") as err:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.generate",
                "-c",
                str(BUILD_DIR / "odoo.conf"),
                "-d",
                dbname,
                "-n",
                str(n),
            ],
            cwd=REPO_ROOT,
            stdout=stdout,
            stderr=err,
            check=False,
        )
    if proc.returncode:
        raise RuntimeError(f"generating {n} leads on {dbname} failed (see {out})")
    generated = json.loads(out.read_text())
    info = {
        "generate_s": round(time.perf_counter() - start, 1),
        "crm_install_s": round(seconds, 1),
        "counts": generated["counts"],
        "date": datetime.date.today().isoformat(),
    }
    pg(f'COMMENT ON DATABASE "{dbname}" IS %s', [f"sfb-bench {key} {json.dumps(info)}"])
    log(f"{dbname} ready: {info}")
    return dbname, info


def install_rows(n, vanilla_db, addon_db=None):
    """Copy the vanilla DB, install then upgrade the addon: the issue-9 rows."""
    addon_db = addon_db or f"sfb_addon_{n}"
    db_copy(vanilla_db, addon_db)
    rows = []
    for label, flag in (("install", "-i"), ("upgrade", "-u")):
        name = f"{label} {MODULE} on the existing database"
        log(f"{name} ({n} leads)")
        if label == "upgrade":
            with db_cursor(addon_db) as cr:
                cr.execute(USER_DATA_SET)
                user_rows = cr.rowcount
        seconds, rss, status = measured(
            odoo_cmd("-d", addon_db, flag, MODULE, "--stop-after-init", "--log-level=warn"),
            f"addon_{n}_{label}",
        )
        row = {
            "op": name,
            "n": n,
            "ok": status == 0,
            "addon_s": seconds,
            "peak_rss": rss,
            "items": n,
            "unit": "leads",
            "target": f"< {INSTALL_TARGET_S // 60} min, < 1.5 GiB at 100k",
        }
        if status:
            row["error"] = tail(f"addon_{n}_{label}")
        else:
            row["note"] = target_note(seconds, rss)
        if label == "upgrade" and not status:
            # the scores users entered survive the upgrade; then back to the generated state
            with db_cursor(addon_db) as cr:
                cr.execute(USER_DATA_CHECK)
                kept = cr.fetchone()[0]
                cr.execute(USER_DATA_RESET)
            row["note"] += f"; user scores kept on {kept}/{user_rows} leads"
            if kept != user_rows:
                row["ok"] = False
                row["error"] = f"upgrade lost user data: {kept}/{user_rows} scored leads intact"
        rows.append(row)
        if status and label == "install":
            break
    if all(row["ok"] for row in rows):
        # the generated pipeline is an existing one: the install leaves it advisory; the
        # sales manager adopts the standard funnel (as Apply the Standard Funnel does) so
        # that the operations measure the enforced gate
        with db_cursor(addon_db) as cr:
            cr.execute(ADOPT_FUNNEL)
    return addon_db, rows


ADOPT_FUNNEL = """
    UPDATE crm_team SET funnel_adopted = TRUE;
    UPDATE res_company SET funnel_adopted = TRUE;
"""


# scores "entered by users" on 1 lead in 50 before the upgrade, checked after it
USER_DATA_SET = """
    UPDATE crm_lead SET bndu_budget = '5', bndu_need = '5', bndu_decision = '5',
                        bndu_urgency = '4', bndu_total = 19, bndu_grade = 'a'
     WHERE id % 50 = 0
"""
USER_DATA_CHECK = """
    SELECT count(*) FROM crm_lead
     WHERE id % 50 = 0 AND bndu_budget = '5' AND bndu_need = '5' AND bndu_decision = '5'
       AND bndu_urgency = '4' AND bndu_total = 19 AND bndu_grade = 'a'
"""
USER_DATA_RESET = """
    UPDATE crm_lead SET bndu_budget = NULL, bndu_need = NULL, bndu_decision = NULL,
                        bndu_urgency = NULL, bndu_total = 0, bndu_grade = 'none'
     WHERE id % 50 = 0
"""


def settle(*dbnames):
    """VACUUM ANALYZE the databases before timing anything: the install leaves dead rows
    and stale statistics that autovacuum would otherwise clean up during the first
    operations (on 2 cores, that skews them); vanilla and addon start alike."""
    for dbname in dbnames:
        log(f"vacuum analyze {dbname}")
        conn = pg_connect(dbname)
        conn.autocommit = True
        try:
            with conn.cursor() as cr:
                cr.execute("VACUUM (ANALYZE)")
        finally:
            conn.close()


@contextlib.contextmanager
def db_cursor(dbname):
    conn = pg_connect(dbname)
    try:
        with conn.cursor() as cr:
            yield cr
        conn.commit()
    finally:
        conn.close()


def target_note(seconds, rss):
    ok = seconds < INSTALL_TARGET_S and rss < RSS_TARGET
    return "target met" if ok else "TARGET MISSED"


def uninstall_row(n, addon_db):
    copy_db = f"sfb_uninstall_{n}"
    db_copy(addon_db, copy_db)
    log(f"uninstall {MODULE} on a copy, then load vanilla CRM views")
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        seconds, rss, _status = measured(
            [
                sys.executable,
                "-m",
                "bench.install_cycle",
                "-c",
                str(BUILD_DIR / "odoo.conf"),
                "-d",
                copy_db,
                "--out",
                out.name,
            ],
            f"addon_{n}_uninstall",
        )
        try:
            result = json.loads(Path(out.name).read_text() or "{}")
        except ValueError:
            result = {}
    db_drop(copy_db)
    row = {
        "op": f"uninstall {MODULE}, then vanilla CRM views and reports",
        "n": n,
        "ok": bool(result.get("ok")),
        "addon_s": result.get("uninstall_s", seconds),
        "peak_rss": rss,
        "items": n,
        "unit": "leads",
    }
    if row["ok"]:
        salesman = result["checks"]["salesman"]
        row["note"] = (
            f"kanban/list/form/search OK; {salesman['kanban_cards']} cards, "
            f"{salesman['pipeline_columns']} columns, pivot {salesman['pivot_cells']} cells"
        )
    else:
        row["error"] = (
            result.get("error")
            or "; ".join(result.get("problems", []))
            or tail(f"addon_{n}_uninstall")
        )
    return row


# ---------------------------------------------------------------------------
# Operations
# ---------------------------------------------------------------------------


def run_op(op, dbname, n, addon):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [
            sys.executable,
            "-m",
            "bench.run_op",
            "-c",
            str(BUILD_DIR / "odoo.conf"),
            "-d",
            dbname,
            "--op",
            op,
            "-n",
            str(n),
            "--out",
            out.name,
        ]
        if addon:
            cmd.append("--addon")
        log_name = re.sub(r"[^\w.-]+", "_", f"op_{op}_{'addon' if addon else 'vanilla'}_{n}")
        try:
            with open(RESULTS_DIR / "logs" / f"{log_name}.log", "w") as log_file:
                subprocess.run(
                    cmd,
                    cwd=REPO_ROOT,
                    stdout=log_file,
                    stderr=subprocess.STDOUT,
                    timeout=OP_TIMEOUT_S,
                    check=False,
                )
            text = Path(out.name).read_text()
            return json.loads(text) if text else {"ok": False, "error": tail(log_name)}
        except subprocess.TimeoutExpired:
            return {"ok": False, "error": f"timeout after {OP_TIMEOUT_S} s"}


def op_rows(n, addon_db, vanilla_db, pattern):
    from bench.registry import OPERATIONS, load_operations

    errors = load_operations()
    rows = [
        {"op": f"import {module}", "n": n, "ok": False, "error": error.strip().splitlines()[-1]}
        for module, error in errors.items()
    ]
    for name, spec in sorted(OPERATIONS.items(), key=lambda item: (item[1]["module"], item[0])):
        if pattern and not re.search(pattern, name):
            continue
        log(f"op {name}")
        addon = run_op(name, addon_db, n, addon=True)
        vanilla = run_op(name, vanilla_db, n, addon=False) if spec["vanilla"] else None
        row = {
            "op": name,
            "n": n,
            "unit": spec["unit"],
            "target": spec.get("target", ""),
            "ok": addon.get("ok", False) and (vanilla is None or vanilla.get("ok", False)),
            "addon_s": addon.get("seconds"),
            "vanilla_s": vanilla.get("seconds") if vanilla else None,
            "queries": addon.get("queries"),
            "vanilla_queries": vanilla.get("queries") if vanilla else None,
            "peak_rss": addon.get("peak_rss"),
            "rss_growth": addon.get("rss_growth"),
            "items": addon.get("items"),
        }
        if not row["ok"]:
            failed = addon if not addon.get("ok") else vanilla
            row["error"] = (failed.get("error") or "").strip().splitlines()[-1:] or ["?"]
            row["error"] = ("vanilla: " if failed is vanilla else "") + row["error"][0]
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------

HEADER = (
    "| operation | N | addon (s) | vanilla (s) | ratio | SQL addon / vanilla "
    "| peak RSS (MiB) | RSS +MiB | items/s | target | notes |"
)


def fmt_s(value):
    if value is None:
        return "—"
    return f"{value:.3f}" if value < 10 else f"{value:.1f}"


def fmt_mib(value):
    return "—" if value is None else f"{value / 1024**2:.0f}"


def markdown_table(rows):
    lines = [HEADER, "|" + "|".join(["---"] * (HEADER.count("|") - 1)) + "|"]
    for row in rows:
        addon_s, vanilla_s = row.get("addon_s"), row.get("vanilla_s")
        ratio = f"{addon_s / vanilla_s:.2f}×" if addon_s and vanilla_s else "—"
        queries = row.get("queries")
        vq = row.get("vanilla_queries")
        sql = "—" if queries is None else (f"{queries} / {vq}" if vq is not None else str(queries))
        items = row.get("items")
        rate = f"{items / addon_s:,.0f} {row.get('unit', '')}/s" if items and addon_s else "—"
        note = row.get("note", "")
        if not row.get("ok"):
            addon_cell = "FAILED"
            note = (row.get("error") or "").replace("|", "/").replace("\n", " ")[:160]
        else:
            addon_cell = fmt_s(addon_s)
        lines.append(
            f"| {row['op']} | {row['n']:,} | {addon_cell} | {fmt_s(vanilla_s)} | {ratio} | "
            f"{sql} | {fmt_mib(row.get('peak_rss'))} | {fmt_mib(row.get('rss_growth'))} | "
            f"{rate} | {row.get('target', '')} | {note} |"
        )
    return "\n".join(lines)


def machine_description():
    def run(cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    lscpu = run(["lscpu"])
    model = re.search(r"Model name:\s*(.+)", lscpu)
    cpus = re.search(r"^CPU\(s\):\s*(\d+)", lscpu, re.MULTILINE)
    mem = re.search(r"Mem:\s+(\S+)", run(["free", "-h"]))
    pg_version = pg("SHOW server_version", fetch=True)[0][0]
    odoo_version = (
        run([sys.executable, "-c", "import odoo.release as r; print(r.version)"]).strip() or "?"
    )
    return (
        f"{model.group(1).strip() if model else platform.processor()}, "
        f"{cpus.group(1) if cpus else os.cpu_count()} CPUs, {mem.group(1) if mem else '?'} RAM "
        f"(shared with other jobs); PostgreSQL {pg_version}; Odoo {odoo_version}; "
        f"Python {platform.python_version()}"
    )


def section(n, rows, info, machine, command):
    counts = info.get("counts", {})
    return (
        f"<!-- bench:N={n} -->\n"
        f"### N = {n:,} leads — {datetime.datetime.now():%Y-%m-%d %H:%M}\n\n"
        f"Machine: {machine}.  \nCommand: `{command}`  \n"
        f"Data: {counts.get('crm_lead', n):,} leads, {counts.get('res_partner', 0):,} partners, "
        f"{counts.get('mail_message', 0):,} messages, "
        f"{counts.get('mail_tracking_value', 0):,} tracking values, "
        f"{counts.get('mail_activity', 0):,} activities; generated in "
        f"{info.get('generate_s', '?')} s (+ {info.get('crm_install_s', '?')} s to install "
        f"crm + project).\n\n"
        f"{markdown_table(rows)}\n"
        f"<!-- /bench:N={n} -->\n"
    )


BENCHMARKS_INTRO = """# Benchmarks

`make bench` (or `N=100000 make bench`; `OPS=regex` runs only matching operations) times
the addon's operations side by side with vanilla Odoo CRM on the same generated data:
`sfb_vanilla_<N>` (crm + project, N leads from `bench/generate.py`) and `sfb_addon_<N>`,
a copy on which `sales_funnel_std` is installed — that install, the upgrade and an
uninstall on a copy are rows of the table. Each operation runs in its own process and is
rolled back. Columns: wall time of the timed section with the addon and on vanilla,
their ratio, SQL queries of the timed section (addon / vanilla), peak RSS of the process,
RSS growth during the timed section, throughput. Timings are the best of 3 runs
(`BENCH_REPEAT`) on a machine shared with other jobs: compare ratios and query counts
rather than absolute times. Sections below are rewritten by the runner, one per N;
logs and JSON of the last run are in `bench/results/`.

Adding an operation: a module `bench/ops/<feature>.py` with functions decorated by
`bench.registry.operation(name, vanilla=..., user="admin"|"manager"|"salesman",
unit=..., target=...)`; see the docstring of `bench/registry.py`. The data:
`bench/generate.py` (4 teams of 1 manager + 5 salesmen, logins `bench_manager_<t>`,
`bench_salesman_<t>_<s>`; ~50 % open leads over 4 stages, 20 % won, 25 % lost, 5 %
archived over 12 months; `stage_id` tracking history, followers, activities).
"""


def update_benchmarks_md(n, text):
    current = BENCHMARKS_MD.read_text() if BENCHMARKS_MD.exists() else ""
    sections = {
        int(m.group(1)): m.group(0)
        for m in re.finditer(r"<!-- bench:N=(\d+) -->.*?<!-- /bench:N=\1 -->\n", current, re.S)
    }
    sections[n] = text
    body = "\n".join(sections[key] for key in sorted(sections))
    # the section of `make load` (bench/load/runner.py) and its notes, to the end, kept
    load = re.search(r"<!-- load:begin -->.*", current, re.S)
    if load:
        body += "\n" + load.group(0)
    BENCHMARKS_MD.write_text(f"{BENCHMARKS_INTRO}\n{body}")


def main(argv=None):
    parser = argparse.ArgumentParser(description="sales_funnel_std benchmarks")
    parser.add_argument("-n", "--leads", type=int, default=int(os.environ.get("N") or 10000))
    parser.add_argument("--ops", default=os.environ.get("OPS", ""), help="regex on op names")
    parser.add_argument("--no-update", action="store_true", help="do not rewrite BENCHMARKS.md")
    args = parser.parse_args(argv)
    n = args.leads
    (RESULTS_DIR / "logs").mkdir(parents=True, exist_ok=True)
    sys.path.insert(0, str(REPO_ROOT))
    vanilla_db, info = ensure_vanilla(n)
    addon_db, rows = install_rows(n, vanilla_db)
    if all(row["ok"] for row in rows):
        settle(addon_db, vanilla_db)
        rows += op_rows(n, addon_db, vanilla_db, args.ops)
        if not args.ops or re.search(args.ops, "uninstall"):
            try:
                rows.append(uninstall_row(n, addon_db))
            except Exception as exc:
                rows.append({"op": f"uninstall {MODULE}", "n": n, "ok": False, "error": str(exc)})
    table = markdown_table(rows)
    print(f"\nsales_funnel_std benchmarks, N = {n:,}\n\n{table}\n")
    command = f"N={n} make bench" + (f" OPS='{args.ops}'" if args.ops else "")
    text = section(n, rows, info, machine_description(), command)
    (RESULTS_DIR / "latest.md").write_text(text)
    (RESULTS_DIR / f"latest_{n}.json").write_text(json.dumps(rows, indent=1, default=str))
    if not args.no_update and not args.ops:
        update_benchmarks_md(n, text)
        log(f"updated {BENCHMARKS_MD.relative_to(REPO_ROOT)}")
    failed = [row["op"] for row in rows if not row.get("ok")]
    if failed:
        log(f"FAILED: {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
