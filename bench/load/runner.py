"""`make load`: the addon and vanilla CRM under the same concurrent load (issue 19).

Usage (scripts/load.sh bootstraps first)::

    python -m bench.load.runner [-n 10000] [-k 16] [--duration 60] [--short]
                                [--scenarios load,nodes,faults] [--no-update]

For each side (addon, then vanilla): a fresh copy of the bench database, the setup
(bench/load/setup.py), a real Odoo in prefork mode (``--workers=4
--max-cron-threads=2``), K salespeople driving the mix (bench/load/mix.py) over
JSON-RPC for a fixed time while the crons run, then the invariants
(bench/load/invariants.py). Prints throughput, p50/p95/max latency per operation,
errors by kind, the addon/vanilla ratios, and (full run) rewrites the "Load (issue 19)"
section of BENCHMARKS.md. ``--short``: a few hundred leads, K=4, 15 s, addon only, plus
the two-node check; run by ``make test``. Exit status 1 when an invariant breaks, a
client saw an error that is not a by-design refusal, or a scenario fails.

Environment: ``LOAD_PORT`` (first of the HTTP ports used, default 8090: nodes on
LOAD_PORT, +2, +4 with their gevent port +1), ``LOAD_DB`` (prefix of the database
names, default ``load`` / ``load_short``), ``LOAD_PG_PORT`` (private cluster, 5440).
"""

import argparse
import datetime
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

from bench import runner as bench
from bench.load import databases, invariants, mix
from bench.load.client import Recorder, Session
from bench.load.server import Node

PORT = int(os.environ.get("LOAD_PORT", "8090"))
TARGET_RATIO = 1.3


def log(message):
    bench.log(f"[load] {message}")


def setup_run(template, run_db, side, clients, cron_batch=200, port=None, extra=()):
    """Copy the template, prepare it (bench/load/setup.py); returns the manifest."""
    databases.run_copy(template, run_db)
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        cmd = [
            sys.executable, "-m", "bench.load.setup", "-c", str(bench.BUILD_DIR / "odoo.conf"),
            "-d", run_db, "--side", side, "--clients", str(clients),
            "--cron-batch", str(cron_batch), "--out", out.name, *extra,
        ]  # fmt: skip
        env = dict(os.environ, PGPORT=str(port)) if port else None
        proc = subprocess.run(
            cmd, cwd=bench.REPO_ROOT, capture_output=True, text=True, check=False, env=env
        )
        if proc.returncode:
            raise RuntimeError(f"setup of {run_db} failed:\n{proc.stderr[-3000:]}")
        with open(out.name) as manifest:
            return json.load(manifest)


def open_sessions(manifest, urls, db):
    """One logged-in session per load user (round robin over the nodes' URLs)."""
    sessions = []
    for index, user in enumerate(manifest["users"]):
        session = Session(urls[index % len(urls)], db, user["login"], manifest["password"])
        session.authenticate()
        sessions.append(session)
    return sessions


def drive(manifest, sessions, side, duration, seed=19, during=None):
    """K client threads for ``duration`` seconds; ``during(stop_event)`` runs alongside
    (fault injection). Returns (salespeople, recorder of everything, seconds)."""
    people = []
    for index, (user, session) in enumerate(zip(manifest["users"], sessions, strict=True)):
        people.append(
            mix.Salesperson(
                session, Recorder(), side, user["leads"], manifest["stages"], seed + index
            )
        )
    stop = threading.Event()
    deadline = time.monotonic() + duration
    threads = [threading.Thread(target=p.run, args=(deadline, stop)) for p in people]
    start = time.monotonic()
    for thread in threads:
        thread.start()
    injector = None
    if during:
        injector = threading.Thread(target=during, args=(stop,))
        injector.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    if injector:
        injector.join()
    merged = Recorder()
    for person in people:
        merged.samples += person.rec.samples
        merged.by_design += person.rec.by_design
        merged.errors += person.rec.errors
    return people, merged, elapsed


def ambiguous_outcomes(recorder):
    counts = {name: 0 for name, _w, _s in mix.OPERATIONS}
    for op, _kind, _reason in recorder.errors:
        counts[op] += 1
    return counts


def check(side, run_db, start, manifest, people, recorder, port=None):
    moves = [move for person in people for move in person.moves]
    followups = [fid for person in people for fid in person.followups]
    uids = [user["uid"] for user in manifest["users"]]
    ambiguous = ambiguous_outcomes(recorder)
    if side == "addon":
        load_leads = [lead for user in manifest["users"] for lead, _stage in user["leads"]]
        return invariants.check_addon(
            run_db, start, load_leads, uids, moves, followups, ambiguous, port=port
        )
    return invariants.check_vanilla(run_db, start, uids, moves, followups, ambiguous, port=port)


def percentile(values, fraction):
    if not values:
        return None
    values = sorted(values)
    return values[min(len(values) - 1, round(fraction * (len(values) - 1)))]


def stats(recorder, seconds):
    """Per operation (and ``all``): count, ops/s, p50/p95/max (answered calls: accepted
    or refused by design), refusals, errors."""
    result = {}
    names = [name for name, _w, _s in mix.OPERATIONS] + ["all"]
    for name in names:
        samples = [s for s in recorder.samples if name == "all" or s[0] == name]
        if not samples:
            continue
        answered = [s[1] for s in samples if s[2] != "error"]
        result[name] = {
            "count": len(samples),
            "per_s": len(samples) / seconds,
            "p50": percentile(answered, 0.5),
            "p95": percentile(answered, 0.95),
            "max": max(answered) if answered else None,
            "refused": sum(1 for s in samples if s[2] == "refused"),
            "errors": sum(1 for s in samples if s[2] == "error"),
        }
    return result


def kinds(entries):
    counts = {}
    for op, kind, reason in entries:
        key = f"{op}: {kind} ({reason})" if reason else f"{op}: {kind}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def run_side(side, template, run_db, clients, duration, port, cron_batch=200, node_count=1):
    """One load run on a fresh copy; returns its result dict.

    ``node_count=2``: two Odoo nodes on the database (2 workers and 1 cron worker each,
    clients spread over both, the cadence cron and a twin due on both), then the
    cross-node checks of ``scenarios.cross_node_checks``.
    """
    from bench.load import scenarios

    log(f"{side}: copy {template} -> {run_db}, setup ({clients} salespeople)")
    # two nodes: the cadence cron and its twin due (only they), one per node's cron worker
    extra = ["--twin-cron", "--due", "cadence"] if node_count == 2 else []
    manifest = setup_run(template, run_db, side, clients, cron_batch, extra=extra)
    if node_count == 1:
        nodes = [Node(run_db, port, workers=4, crons=2, name=f"{run_db}_node")]
    else:
        nodes = [
            Node(run_db, port + 2 * i, workers=2, crons=1, name=f"{run_db}_node{i + 1}")
            for i in range(node_count)
        ]
    for node in nodes:
        log(
            f"{side}: Odoo prefork on :{node.port} "
            f"(--workers={node.workers} --max-cron-threads={node.crons})"
        )
    lines, extra_moves, problems = [], [], []
    try:
        Node.start_all(nodes)
        sessions = open_sessions(manifest, [node.url for node in nodes], run_db)
        start = invariants.db_now(run_db)
        todo_before = invariants.cadence_todo(run_db) if side == "addon" else None
        log(f"{side}: {clients} clients for {duration} s")
        people, recorder, seconds = drive(manifest, sessions, side, duration)
        todo_after = invariants.cadence_todo(run_db) if side == "addon" else None
        if node_count > 1:
            lines, problems, extra_moves = scenarios.cross_node_checks(
                nodes, run_db, manifest, people[0]
            )
        cron_s = None
        if side == "addon":
            cron_s, _left = scenarios.wait_cron_done(nodes, run_db)
    finally:
        Node.stop_all(nodes)
    for person in people[:1]:
        person.moves += extra_moves
    problems += check(side, run_db, start, manifest, people, recorder)
    if recorder.errors:
        problems.append(f"{len(recorder.errors)} client errors: {kinds(recorder.errors)}")
    server_errors = [line for node in nodes for line in node.log_errors()]
    if server_errors:
        problems.append(f"server errors: {server_errors[:3]}")
    left = invariants.cadence_todo(run_db) if side == "addon" else 0
    if left:
        problems.append(f"the cadence cron did not finish: {left} leads left")
    done = scenarios.cadence_jobs(nodes, run_db) if side == "addon" else []
    if side == "addon" and node_count > 1:
        jobs = "; ".join(
            f"{name.split('(')[-1].rstrip(')') if 'twin' in name else 'cadence'}: {count} leads, "
            f"ran on {'+'.join(ran) or 'no node'}"
            for name, count, ran in done
        )
        conflicts = sum(node.retried_conflicts() for node in nodes)
        lines.append(
            f"cadence cron and its twin due on both nodes' cron workers: "
            f"{manifest['graded_for_cron']} graded leads (+ those scored by the clients), "
            f"{left} left, no lead processed twice; {jobs}; {conflicts} row-lock "
            f"serialization failures between them, retried (logged by Odoo as bad queries)"
        )
    return {
        "side": side,
        "db": run_db,
        "clients": clients,
        "nodes": node_count,
        "seconds": seconds,
        "stats": stats(recorder, seconds),
        "refusals": kinds(recorder.by_design),
        "errors": kinds(recorder.errors),
        "problems": problems,
        "lines": lines,
        "cron": {
            "todo_before": todo_before,
            "todo_after": todo_after,
            "finish_s": cron_s,
            "left": left,
            "graded": manifest["graded_for_cron"],
            "jobs": done,
        },
        "server_errors": server_errors[-10:],
    }


# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------


def ms(value):
    return "—" if value is None else f"{value * 1000:.0f}"


def table(results):
    addon = next((r for r in results if r["side"] == "addon"), None)
    vanilla = next((r for r in results if r["side"] == "vanilla"), None)
    lines = [
        "| operation | side | actions | actions/s | p50 ms | p95 ms | max ms | refused "
        "| errors | p95 addon / vanilla |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    names = [name for name, _w, _s in mix.OPERATIONS] + ["all"]
    for name in names:
        for result in (addon, vanilla):
            if not result or name not in result["stats"]:
                continue
            row = result["stats"][name]
            ratio = ""
            if result is addon and vanilla and name in mix.SHARED + mix.COUNTERPART + ["all"]:
                other = vanilla["stats"].get(name)
                if other and other["p95"] and row["p95"]:
                    value = row["p95"] / other["p95"]
                    ratio = f"{value:.2f}×"
                    if name in mix.SHARED and value > TARGET_RATIO:
                        ratio += " ⚠"
                    elif name not in mix.SHARED:
                        ratio += " (not the same work)"
            lines.append(
                f"| {name} | {result['side']} | {row['count']:,} | {row['per_s']:.1f} "
                f"| {ms(row['p50'])} | {ms(row['p95'])} | {ms(row['max'])} "
                f"| {row['refused']} | {row['errors']} | {ratio} |"
            )
    return "\n".join(lines)


def summary(results):
    lines = []
    for result in results:
        cron = result["cron"]
        lines.append(
            f"- {result['side']}: {result['clients']} clients, {result['seconds']:.0f} s, "
            f"{result['stats'].get('all', {}).get('count', 0):,} actions"
            + (
                f"; cadence cron: {cron['graded']:,} leads graded for it, "
                f"{cron['todo_before']:,} to do at start, {cron['todo_after']:,} left at the "
                f"end of the load, {cron['left']:,} left {cron['finish_s']:.0f} s later"
                if result["side"] == "addon"
                else ""
            )
        )
        if result["refusals"]:
            top = sorted(result["refusals"].items(), key=lambda kv: -kv[1])[:4]
            lines.append("  - by-design refusals: " + "; ".join(f"{k} ×{v}" for k, v in top))
        lines.append(
            "  - invariants: "
            + (
                "all hold"
                if not result["problems"]
                else "BROKEN: " + " / ".join(result["problems"])
            )
        )
    return "\n".join(lines)


def shared_ratio_ok(results):
    addon = next((r for r in results if r["side"] == "addon"), None)
    vanilla = next((r for r in results if r["side"] == "vanilla"), None)
    if not (addon and vanilla):
        return None
    return all(
        addon["stats"][name]["p95"] <= TARGET_RATIO * vanilla["stats"][name]["p95"]
        for name in mix.SHARED
        if name in addon["stats"] and name in vanilla["stats"]
    )


MARK_BEGIN = "<!-- load:begin -->"
MARK_END = "<!-- load:end -->"


def update_benchmarks(text):
    path = bench.BENCHMARKS_MD
    current = path.read_text() if path.exists() else ""
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}\n"
    if MARK_BEGIN in current:
        current = re.sub(
            re.escape(MARK_BEGIN) + ".*?" + re.escape(MARK_END) + "\n", lambda _m: block,
            current, flags=re.S,
        )  # fmt: skip
    else:
        current = current.rstrip("\n") + "\n\n" + block
    path.write_text(current)


def section(n, clients, duration, results, scenario_lines, command):
    ok = shared_ratio_ok(results)
    verdict = (
        "p95 of every shared operation ≤ 1.3× vanilla: target met"
        if ok
        else "p95 ≤ 1.3× vanilla NOT met for every shared operation (⚠ rows)"
    )
    return (
        f"## Load (issue 19)\n\n"
        f"### N = {n:,} leads, K = {clients} salespeople, {duration} s per side — "
        f"{datetime.datetime.now():%Y-%m-%d %H:%M}\n\n"
        f"Machine: {bench.machine_description()}.  \n"
        f"Command: `{command}`  \n"
        f"Server: odoo-bin `--workers=4 --max-cron-threads=2`, one node per side, the "
        f"sides one after the other on fresh copies of `load_addon_{n}` / `load_vanilla_{n}`; "
        f"every active cron due at start. Each salesperson thinks {mix.THINK_S:g} s on "
        f"average between two actions (`LOAD_THINK_S`). Latencies are per user action "
        f"(several calls for tick/attach on the addon) over JSON-RPC with a web session; "
        f"refusals are the gate's by-design UserErrors, answered (counted in the "
        f"latencies).\n\n"
        f"{table(results)}\n\n{summary(results)}\n\nRatio: {verdict}.\n"
        + (f"\nScenarios:\n{scenario_lines}\n" if scenario_lines else "")
    )


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(description="sales_funnel_std load test")
    parser.add_argument("-n", "--leads", type=int, default=int(os.environ.get("N") or 10000))
    parser.add_argument("-k", "--clients", type=int, default=int(os.environ.get("K") or 16))
    parser.add_argument("--duration", type=int, default=int(os.environ.get("DURATION") or 60))
    parser.add_argument("--short", action="store_true", default=os.environ.get("LOAD_SHORT") == "1")
    parser.add_argument("--scenarios", default=os.environ.get("SCENARIOS", ""))
    parser.add_argument(
        "--sides", default=None, help="addon,vanilla (default); empty: scenarios only"
    )
    parser.add_argument("--no-update", action="store_true", help="do not rewrite BENCHMARKS.md")
    args = parser.parse_args(argv)
    node_count = 1
    if args.short:
        # the short run is the two-node one: addon only, 4 clients over two nodes
        n, clients, duration = 300, 4, 15
        prefix = os.environ.get("LOAD_DB", "load_short")
        sides = ("addon",)
        scenarios = args.scenarios or "load"
        node_count = 2
    else:
        n, clients, duration = args.leads, args.clients, args.duration
        prefix = os.environ.get("LOAD_DB", "load")
        sides = ("addon", "vanilla")
        scenarios = args.scenarios or "nodes,faults"
    if args.sides is not None:
        sides = tuple(side for side in args.sides.split(",") if side)
    (bench.RESULTS_DIR / "logs").mkdir(parents=True, exist_ok=True)
    vanilla_template, addon_template = databases.ensure_templates(n, prefix)
    results = []
    templates = {"addon": addon_template, "vanilla": vanilla_template}
    for side in sides:
        run_db = f"{prefix}_run_{side}_{n}"
        results.append(
            run_side(side, templates[side], run_db, clients, duration, PORT, node_count=node_count)
        )
        for line in results[-1]["lines"]:
            print(f"[nodes] {line}")
    text_table = table(results)
    print(f"\nLoad: N = {n:,}, K = {clients}, {duration} s per side\n\n{text_table}\n")
    print(summary(results))
    failed = [f"{r['side']}: {p}" for r in results for p in r["problems"]]
    scenario_lines = []
    from bench.load import scenarios as scenario_module

    for name in [s for s in scenarios.split(",") if s and s != "load"]:
        outcome = scenario_module.SCENARIOS[name](addon_template, prefix, n, PORT)
        outcome.setdefault("lines", [])
        for line in outcome["lines"]:
            print(f"[{name}] {line}")
        scenario_lines += [f"- {name}: {line}" for line in outcome["lines"]]
        failed += [f"{name}: {p}" for p in outcome["problems"]]
    ratio_ok = shared_ratio_ok(results)
    if ratio_ok is not None:
        print(f"\np95 ≤ {TARGET_RATIO}× vanilla on the shared operations: "
              + ("yes" if ratio_ok else "NO"))  # fmt: skip
    (bench.RESULTS_DIR / f"load_{prefix}_{n}.json").write_text(
        json.dumps(results, indent=1, default=str)
    )
    if not args.short and not args.no_update and args.sides is None:
        command = f"N={n} K={clients} DURATION={duration} LOAD_THINK_S={mix.THINK_S:g} make load"
        update_benchmarks(
            section(n, clients, duration, results, "\n".join(scenario_lines), command)
        )
        log(f"updated {bench.BENCHMARKS_MD.relative_to(bench.REPO_ROOT)}")
    if failed:
        for line in failed:
            log(f"FAILED {line}")
        return 1
    log("all green")
    return 0


if __name__ == "__main__":
    sys.exit(main())
