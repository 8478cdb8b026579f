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

import re
import time

from bench import runner as bench
from bench.load import invariants
from bench.load.client import RpcError, Session

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


DONE_RE = re.compile(r"Job 'CRM: Follow-up Cadence[^']*' \(\d+\) \w+ done \(#loop \d+; done (\d+)")


def cron_done(node):
    """Leads the node's cron workers processed for the cadence cron(s) (its log)."""
    text = node.log_path.read_text(errors="replace") if node.log_path.exists() else ""
    return sum(int(match.group(1)) for match in DONE_RE.finditer(text))


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
    result = run_side("addon", addon_template, db, 4, 20, port, cron_batch=50, node_count=2)
    bench.db_drop(db)
    return result


SCENARIOS = {"nodes": nodes}
