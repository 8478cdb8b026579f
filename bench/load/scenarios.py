"""Scenarios beyond one node (``--scenarios``): each returns ``{"lines": [what was
seen], "problems": [what failed]}``.

- ``nodes``: two Odoo nodes (two processes, two ports) on one database. A new required
  checklist item and a stage reorder made through node 1 are enforced by node 2's next
  request (registry caches invalidated across processes by Odoo's signaling); both
  nodes' cron workers run the cadence cron and each lead is processed once.
- ``faults``: on a private PostgreSQL cluster (the developer's cluster is shared: never
  restarted), under load: ``kill -9`` of the cron worker running the cadence cron in
  the middle of a batch, ``kill -9`` of the HTTP worker in the middle of a stage move,
  PostgreSQL restarted. After recovery the invariants hold, the cron resumes and
  finishes, the clients saw errors (not silent loss) and work again.
"""

import os
import re
import signal
import threading
import time
from contextlib import closing

from bench import runner as bench
from bench.load import invariants
from bench.load.client import RpcError, Session
from bench.load.server import Node, PrivateCluster

CRON_TIMEOUT_S = 240


def log(message):
    bench.log(f"[load] {message}")


def expect_refused(session, model, method, args, kwargs=None):
    """The call must be refused by design; returns the error message or None."""
    try:
        session.call(model, method, args, kwargs)
    except RpcError as exc:
        return exc.full if exc.by_design else f"NOT BY DESIGN {exc.kind}: {exc.full}"
    return None


def wait_cron_done(nodes, db, port=None, timeout=CRON_TIMEOUT_S):
    """Wake the cron workers until the cadence cron has no lead left; returns
    (seconds, leads left)."""
    start = time.monotonic()
    left = invariants.cadence_todo(db, port)
    while left and time.monotonic() - start < timeout:
        for node in nodes:
            node.notify_crons()
        time.sleep(3)
        left = invariants.cadence_todo(db, port)
    return time.monotonic() - start, left


START_RE = re.compile(r"Job '([^']*Follow-up Cadence[^']*)' \((\d+)\) starting")


def cadence_jobs(nodes, db, port=None):
    """``[(job name, leads processed, node names that ran it)]`` of the cadence cron jobs:
    the leads from ``ir_cron_progress`` (summed over the job's runs), the nodes from their
    logs ("Job ... starting")."""
    ran = {}
    for node in nodes:
        text = node.log_path.read_text(errors="replace") if node.log_path.exists() else ""
        for match in START_RE.finditer(text):
            ran.setdefault(int(match.group(2)), set()).add(node.name.rsplit("_", 1)[-1])
    with closing(invariants.connect(db, port)) as conn, conn.cursor() as cr:
        cr.execute(
            """SELECT cron.id, cron.cron_name, COALESCE(SUM(progress.done), 0)
                 FROM ir_cron cron
            LEFT JOIN ir_cron_progress progress ON progress.cron_id = cron.id
                WHERE cron.ir_actions_server_id IN (
                      SELECT id FROM ir_act_server WHERE code LIKE '%%_cron_sync_cadence%%')
             GROUP BY cron.id, cron.cron_name ORDER BY cron.id"""
        )
        return [
            (name, int(done), sorted(ran.get(cron_id, ()))) for cron_id, name, done in cr.fetchall()
        ]


def login(node, db, user, manifest):
    session = Session(node.url, db, user["login"], manifest["password"])
    session.authenticate()
    return session


def tick_all(session, lead):
    lines = session.call(
        "crm.lead.checklist.line",
        "search_read",
        [[["lead_id", "=", lead], ["is_current_stage", "=", True], ["kind", "=", "confirm"]]],
        {"fields": ["id"]},
    )
    if lines:
        session.call(
            "crm.lead.checklist.line", "write", [[line["id"] for line in lines], {"is_done": True}]
        )


# ---------------------------------------------------------------------------
# Two nodes
# ---------------------------------------------------------------------------


def cross_node_checks(nodes, db, manifest, person):
    """After the load on two nodes: configuration made through node 1 is enforced by
    node 2's next request. ``person``: the first client (its leads' stages are known).
    Returns (lines, problems, moves accepted)."""
    node1, node2 = nodes[:2]
    lines, problems, moves = [], [], []
    stages = manifest["stages"]
    manager = login(node1, db, manifest["managers"][0], manifest)
    salesman = login(node2, db, manifest["users"][0], manifest)

    def move(lead, stage):
        salesman.call("crm.lead", "write", [[lead], {"stage_id": stage}])
        person.stage_of[lead] = stage
        moves.append((lead, stage))

    def lead_in_first_stage(exclude=()):
        for lead, stage in sorted(person.stage_of.items()):
            if stage == stages[0] and lead not in exclude:
                return lead
        lead = next(lead for lead in sorted(person.stage_of) if lead not in exclude)
        move(lead, stages[0])  # backward: always allowed
        return lead

    # 1. a new required item, created through node 1, blocks a move on node 2
    lead = lead_in_first_stage()
    tick_all(salesman, lead)
    item = manager.call(
        "crm.stage.checklist.item",
        "create",
        [{"name": "Load test: NDA signed", "stage_id": stages[0], "kind": "confirm"}],
    )
    refused = expect_refused(salesman, "crm.lead", "write", [[lead], {"stage_id": stages[1]}])
    if refused and "NDA signed" in refused and not refused.startswith("NOT"):
        lines.append("new required item made on node 1: node 2's next move refused by it")
    else:
        problems.append(f"node 2 did not enforce the item made on node 1: {refused!r}")
    manager.call("crm.stage.checklist.item", "write", [item, {"active": False}])
    try:
        move(lead, stages[1])
        lines.append("item archived on node 1: node 2's next move accepted")
    except RpcError as exc:
        problems.append(f"node 2 still refused after the item was archived: {exc.full}")
    # 2. a stage reorder made through node 1 changes node 2's gate
    other = lead_in_first_stage(exclude=[lead])
    target = stages[3]
    refused = expect_refused(salesman, "crm.lead", "write", [[other], {"stage_id": target}])
    if not refused or refused.startswith("NOT"):
        problems.append(f"skipping stages was not refused on node 2: {refused!r}")
    sequence = manager.call("crm.stage", "read", [[target], ["sequence"]])[0]["sequence"]
    manager.call("crm.stage", "write", [[target], {"sequence": 1}])
    try:
        move(other, target)
        lines.append(
            "stage reordered on node 1 (proposal first): on node 2 the same move is now "
            "backward, accepted"
        )
    except RpcError as exc:
        problems.append(f"node 2 did not follow the reorder made on node 1: {exc.full}")
    finally:
        manager.call("crm.stage", "write", [[target], {"sequence": sequence}])
    return lines, problems, moves


def nodes(addon_template, prefix, n, port):
    """The load on two nodes (4 clients, 20 s), then the cross-node checks."""
    from bench.load.runner import run_side

    db = f"{prefix}_nodes_{n}"
    result = run_side("addon", addon_template, db, 4, 15, port, cron_batch=50, node_count=2)
    bench.db_drop(db)
    return result


# ---------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------


def backends(db, port, where, params=(), client_port=False):
    """``[(worker pid, state, wait event type, query)]`` of the Odoo backends on ``db``.

    The pid is the one of the connection's ``application_name`` (``odoo-{pid}``): the
    process that opened it (the master for the HTTP workers, whose registry it loaded
    before forking); ``client_port``: the client's TCP port instead (see
    ``socket_owner``)."""
    column = "client_port" if client_port else "substr(application_name, 6)::int"
    with closing(invariants.connect("postgres", port)) as conn, conn.cursor() as cr:
        cr.execute(
            f"""SELECT {column}, state, wait_event_type, query
                  FROM pg_stat_activity
                 WHERE datname = %s AND application_name ~ '^odoo-[0-9]+$' AND {where}""",
            [db, *params],
        )
        return cr.fetchall()


def socket_owner(pids, local_port):
    """The process among ``pids`` that holds the TCP socket of ``local_port``."""
    import psutil

    for pid in pids:
        try:
            connections = psutil.Process(pid).connections(kind="tcp")
        except psutil.Error:
            continue
        if any(conn.laddr and conn.laddr.port == local_port for conn in connections):
            return pid
    return None


def kill_cron_mid_batch(node, db, port, timeout=90, first_commit_s=20):
    """``kill -9`` the cron worker whose transaction is in a cadence batch, once a first
    batch was committed (or after ``first_commit_s`` seconds: small databases have one
    batch); returns (pid, leads left then) or (None, None)."""
    start = time.monotonic()
    initial = invariants.cadence_todo(db, port)
    left, checked = initial, start
    while time.monotonic() - start < timeout:
        if time.monotonic() - checked > 1:
            # a job that stopped "partially done" waits for a trigger: wake the workers
            node.notify_crons()
            left, checked = invariants.cadence_todo(db, port), time.monotonic()
        ready = left < initial or time.monotonic() - start > first_commit_s
        workers = set(node.cron_workers())
        for pid, _state, _wait, _query in backends(
            db,
            port,
            "xact_start IS NOT NULL AND (query ILIKE '%%funnel_cadence%%' "
            "OR query ILIKE '%%SKIP LOCKED%%')",
        ):
            if ready and pid in workers:
                left = invariants.cadence_todo(db, port)
                if not left:
                    continue  # the end of a run, not a batch: nothing left to lose
                os.kill(pid, signal.SIGKILL)
                return pid, left
        time.sleep(0.05)
    return None, None


def kill_worker_mid_move(node, db, port, session, lead, target, timeout=30):
    """Hold the lead's stage-history rows locked from outside, send the move, ``kill -9``
    the HTTP worker waiting on that lock (in the middle of the move: gate passed, the
    history being written). Returns (worker pid, what the client got)."""
    outcome = {}

    def attempt():
        try:
            session.call("crm.lead", "write", [[lead], {"stage_id": target}])
            outcome["result"] = "accepted"
        except RpcError as exc:
            outcome["result"] = f"error {exc.kind}"

    conn = invariants.connect(db, port)
    conn.autocommit = False
    killed = None
    try:
        with conn.cursor() as cr:
            cr.execute(
                "SELECT id FROM crm_lead_stage_history WHERE lead_id = %s FOR UPDATE", [lead]
            )
            thread = threading.Thread(target=attempt)
            thread.start()
            deadline = time.monotonic() + timeout
            seen = []
            while killed is None and time.monotonic() < deadline:
                seen = backends(db, port, "state <> 'idle'")
                waiting = backends(db, port, "wait_event_type = 'Lock'", client_port=True)
                for local_port, _state, _wait, _query in waiting:
                    pid = socket_owner(node.http_workers(), local_port)
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        killed = pid
                        break
                time.sleep(0.05)
    finally:
        conn.rollback()
        conn.close()
    thread.join(60)
    if killed is None:
        seen = [
            (pid, state, wait, " ".join(query.split())[:70]) for pid, state, wait, query in seen
        ]
        log(f"faults: no HTTP worker waiting on the lock; backends: {seen}, "
            f"HTTP workers {node.http_workers()}")  # fmt: skip
    return killed, outcome.get("result", "no answer")


def lead_stage(db, port, lead):
    with closing(invariants.connect(db, port)) as conn, conn.cursor() as cr:
        cr.execute("SELECT stage_id FROM crm_lead WHERE id = %s", [lead])
        return cr.fetchone()[0]


def faults(addon_template, prefix, n, port, clients=4, duration=40):
    """The load on a private cluster with three faults injected (see the module doc)."""
    from types import SimpleNamespace

    from bench.load.runner import check, drive, kinds, open_sessions, setup_run

    lines, problems = [], []
    db = f"{prefix}_faults_{n}"
    pg_port = int(os.environ.get("LOAD_PG_PORT", "5440"))
    cluster = PrivateCluster(pg_port, bench.BUILD_DIR / "load_pg")
    # the setup runs on a copy in the developer's cluster, then the database moves to
    # the private cluster (pg_dump -Fc | pg_restore); the filestore is shared by name
    manifest = setup_run(addon_template, db, "addon", clients + 1, cron_batch=100)
    log(f"faults: private PostgreSQL on :{pg_port} ({cluster.data_dir}), {db} copied in")
    cluster.start()
    node = Node(db, port, workers=4, crons=2, name=f"{db}_node", db_port=pg_port)
    try:
        cluster.copy_database(db, db)
        bench.pg(f'DROP DATABASE IF EXISTS "{db}"')  # the filestore stays for the copy
        Node.start_all([node], notify=False)
        load_manifest = dict(manifest, users=manifest["users"][:clients])
        sessions = open_sessions(load_manifest, [node.url], db)
        victim_user = manifest["users"][clients]
        victim = login(node, db, victim_user, manifest)
        stages = manifest["stages"]
        victim_lead = victim_user["leads"][0][0]
        tick_all(victim, victim_lead)
        start = invariants.db_now(db, pg_port)
        graded = invariants.cadence_todo(db, pg_port)
        events = {}

        def inject(stop):
            node.notify_crons()  # the cron workers start the cadence cron now
            events["cron"] = kill_cron_mid_batch(node, db, pg_port)
            events["move"] = kill_worker_mid_move(node, db, pg_port, victim, victim_lead, stages[1])
            events["stage_after_kill"] = lead_stage(db, pg_port, victim_lead)
            time.sleep(duration / 3)
            events["restart_at"] = time.monotonic()
            cluster.restart()
            events["restart_s"] = time.monotonic() - events["restart_at"]

        log(f"faults: {clients} clients for {duration} s; kill -9 cron worker, HTTP worker, "
            "PostgreSQL restart")  # fmt: skip
        people, recorder, _seconds = drive(
            load_manifest, sessions, "addon", duration, during=inject
        )
        # after recovery: every client's session works again
        recovered = 0
        for session in [*sessions, victim]:
            for _attempt in range(20):
                try:
                    session.call("crm.lead", "search_count", [[["type", "=", "opportunity"]]])
                    recovered += 1
                    break
                except RpcError:
                    time.sleep(1)
        victim_moves = []
        try:  # the killed move, again: accepted now
            victim.call("crm.lead", "write", [[victim_lead], {"stage_id": stages[1]}])
            victim_moves.append((victim_lead, stages[1]))
        except RpcError as exc:
            problems.append(f"the move killed mid-way is refused after recovery: {exc.full}")
        cron_s, left = wait_cron_done([node], db, port=pg_port)
    finally:
        Node.stop_all([node])
    # what was seen
    pid, left_then = events.get("cron") or (None, None)
    if pid:
        lines.append(
            f"kill -9 of cron worker {pid} in a cadence batch ({left_then} of {graded} leads "
            f"left then): the cron resumed on a respawned worker, {left} left "
            f"{cron_s:.0f} s after the load"
        )
    else:
        problems.append("the cadence cron was not caught in a batch (nothing killed)")
    if left:
        problems.append(f"the cadence cron did not finish after the kill: {left} leads left")
    killed, seen = events.get("move") or (None, "not run")
    stage_after = events.get("stage_after_kill")
    if killed and seen.startswith("error") and stage_after == stages[0]:
        lines.append(
            f"kill -9 of HTTP worker {killed} in a stage move: the client got {seen}, the "
            "lead stayed in its stage (nothing half-written), the same move accepted after"
        )
    else:
        problems.append(
            f"kill mid-move: worker {killed}, client saw {seen!r}, stage after {stage_after}"
        )
    error_kinds = kinds(recorder.errors)
    seen_errors = error_kinds or "requests in flight waited or were retried by Odoo"
    if "restart_s" in events:
        lines.append(
            f"PostgreSQL restarted ({events['restart_s']:.1f} s) under {clients} clients: "
            f"they saw {len(recorder.errors)} errors ({seen_errors}); "
            f"{recorder.samples and sum(1 for s in recorder.samples if s[2] != 'error')} "
            f"actions answered; after recovery {recovered}/{len(sessions) + 1} sessions work"
        )
    if recovered != len(sessions) + 1:
        problems.append(f"only {recovered}/{len(sessions) + 1} sessions work after recovery")
    ambiguous = dict.fromkeys(("log follow-up", "move stage"), 0)
    for op, _kind, _reason in recorder.errors:
        ambiguous[op] = ambiguous.get(op, 0) + 1
    ambiguous["move stage"] += 1  # the killed move (refused: it must not be there)
    extra = SimpleNamespace(moves=victim_moves, followups=[])
    problems += check("addon", db, start, manifest, [*people, extra], recorder, port=pg_port)
    lines.append("invariants after recovery: " + ("all hold" if not problems else "see problems"))
    cluster.drop_database(db)
    cluster.stop()
    bench.db_drop(db)
    return {"lines": lines, "problems": problems}


SCENARIOS = {"nodes": nodes, "faults": faults}
