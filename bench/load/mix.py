"""What a salesperson does, over JSON-RPC: the load mix.

Each client works on its own open opportunities (CRM's "own documents" rule: a
salesperson's leads are his), a few at a time (``FOCUS``): scores them (BNDU), ticks the
confirmations of the current stage, uploads a document, moves them to the next stage
(the gate refuses while required items are open: a by-design refusal), logs follow-ups
and opens the pipeline kanban. On vanilla CRM the same client draws from the same mix
with the same rhythm and does the operations vanilla has: upload, move, log a note
(vanilla's follow-up), kanban, form; an addon-only action is a pause there.

Operations named in ``SHARED`` exist on both sides: their latency ratio is the
comparison of the issue (p95 addon / vanilla).
"""

import base64
import os
import random
import time

# (operation, weight, sides)
OPERATIONS = (
    ("kanban", 12, ("addon", "vanilla")),
    ("open form", 10, ("addon", "vanilla")),
    ("score", 12, ("addon",)),
    ("tick lines", 12, ("addon",)),
    ("upload document", 10, ("addon", "vanilla")),
    ("attach to line", 8, ("addon",)),
    ("move stage", 20, ("addon", "vanilla")),
    ("log follow-up", 16, ("addon", "vanilla")),
)
# the same calls on both sides: the p95 ratio target of the issue applies to them
SHARED = ["kanban", "open form", "upload document", "move stage"]
# a counterpart, not the same work: the addon's follow-up record (completes the cadence
# activity, schedules the next) against vanilla's "log note"
COUNTERPART = ["log follow-up"]
# what a lead needs before leaving each standard stage (index in the pipeline): the
# salesperson does it, then moves; on the negotiation stage the manager's approval is
# missing, a forward move is refused until the lead goes back to the first stage
NEXT_STEPS = {
    0: ["tick lines"],
    1: ["score"],
    2: ["tick lines", "upload document", "attach to line"],
    3: ["upload document", "attach to line", "tick lines"],
}
DILIGENCE = 0.5  # share of actions that are the focused lead's next step (addon)
# a salesperson reads the screen between two actions: mean think time in seconds
# (uniform in [0.5, 1.5] × THINK_S); 0 makes every client a closed loop that saturates the
# server, whose latencies then measure the queue of the whole mix rather than the operation
THINK_S = float(os.environ.get("LOAD_THINK_S", "1.0"))
FOCUS = 4  # leads a client works on at a time
DOCUMENT = base64.b64encode(b"%PDF-1.4\n% load test requirements list\n" * 40).decode()
KANBAN_FIELDS = [
    "name",
    "contact_name",
    "priority",
    "user_id",
    "stage_id",
    "expected_revenue",
    "partner_id",
    "activity_state",
    "tag_ids",
]
ADDON_KANBAN_FIELDS = ["checklist_done_count", "checklist_required_count", "bndu_grade"]
FORM_FIELDS = ["name", "partner_id", "stage_id", "user_id", "expected_revenue", "description"]
ADDON_FORM_FIELDS = ["bndu_budget", "bndu_need", "bndu_decision", "bndu_urgency", "bndu_grade"]
LINE_SPEC = {"name": {}, "kind": {}, "required": {}, "is_done": {}, "is_current_stage": {}}


def spec(fields):
    result = {fname: {} for fname in fields}
    for many2one in ("user_id", "stage_id", "partner_id"):
        if many2one in result:
            result[many2one] = {"fields": {"display_name": {}}}
    if "tag_ids" in result:
        result["tag_ids"] = {"fields": {"display_name": {}, "color": {}}}
    return result


class Salesperson:
    """One client thread: a session, its leads, what it got back."""

    def __init__(self, session, recorder, side, leads, stages, seed):
        self.session = session
        self.rec = recorder
        self.side = side
        self.addon = side == "addon"
        self.stage_of = dict(leads)  # lead id -> stage id (the client's own leads)
        self.stages = stages  # the open stages, pipeline order
        self.rng = random.Random(seed)
        self.focus = self.rng.sample(list(self.stage_of), min(FOCUS, len(self.stage_of)))
        self.moves = []  # (lead id, stage id) the server accepted
        self.followups = []  # ids of follow-ups (addon) or notes (vanilla) created
        self.attachments = []
        self.last_attachment = {}  # lead id -> the last document uploaded on it
        self.done_steps = {}  # lead id -> actions done since it entered its stage
        # both sides draw from the same mix and follow the same rhythm: on vanilla, an
        # addon-only action is time spent reading the screen (no request), so the shared
        # operations come at the same rate per salesperson on both sides
        self.op_names = [name for name, _w, _s in OPERATIONS]
        self.op_weights = [weight for _n, weight, _s in OPERATIONS]
        self.own_ops = {name for name, _w, sides in OPERATIONS if side in sides}

    # -------------------------------------------------------------- loop
    def next_op(self, lead):
        if self.rng.random() < DILIGENCE:
            stage = self.stage_of[lead]
            index = self.stages.index(stage) if stage in self.stages else 0
            done = self.done_steps.setdefault(lead, set())
            todo = [op for op in NEXT_STEPS.get(index, []) if op not in done]
            return todo[0] if todo else "move stage"
        return self.rng.choices(self.op_names, self.op_weights)[0]

    def run(self, deadline, stop_event=None):
        while time.monotonic() < deadline and not (stop_event and stop_event.is_set()):
            lead = self.rng.choice(self.focus)
            op = self.next_op(lead)
            if op == "attach to line" and lead not in self.last_attachment:
                op = "upload document"
            if op not in self.own_ops:
                self.done_steps.setdefault(lead, set()).add(op)
                time.sleep(max(0.0, min(self.rng.uniform(0.5, 1.5) * max(THINK_S, 0.2),
                                        deadline - time.monotonic())))  # fmt: skip
                continue
            # one user action, possibly several calls, timed as one
            func = getattr(self, "op_" + op.replace(" ", "_").replace("-", "_"))
            ok, _result = self.rec.timed(op, func, op, lead)
            if ok and op != "move stage":
                self.done_steps.setdefault(lead, set()).add(op)
            if THINK_S:
                pause = self.rng.uniform(0.5, 1.5) * THINK_S
                time.sleep(max(0.0, min(pause, deadline - time.monotonic())))
            # a lead that reached the end of the cycle leaves the focus for another one
            if self.rng.random() < 0.05:
                self.focus[self.focus.index(lead)] = self.rng.choice(list(self.stage_of))

    def call(self, _op, model, method, args=(), kwargs=None):
        """One call of an action; raises ``RpcError`` (the action fails as a whole)."""
        return self.session.call(model, method, args, kwargs)

    # -------------------------------------------------------------- operations
    def op_kanban(self, op, _lead):
        fields = KANBAN_FIELDS + (ADDON_KANBAN_FIELDS if self.addon else [])
        domain = [["type", "=", "opportunity"], ["user_id", "=", self.session.uid]]
        self.call(
            op,
            "crm.lead",
            "web_read_group",
            [domain, ["stage_id"]],
            {
                "aggregates": ["expected_revenue:sum"],
                "auto_unfold": True,
                "unfold_read_specification": spec(fields),
                "unfold_read_default_limit": 80,
            },
        )

    def op_open_form(self, op, lead):
        read_spec = spec(FORM_FIELDS + (ADDON_FORM_FIELDS if self.addon else []))
        if self.addon:
            read_spec["checklist_line_ids"] = {"fields": LINE_SPEC}
            read_spec["followup_count"] = {}
        self.call(op, "crm.lead", "web_read", [[lead], read_spec])

    def op_score(self, op, lead):
        values = {
            fname: str(self.rng.randint(2, 5))
            for fname in ("bndu_budget", "bndu_need", "bndu_decision", "bndu_urgency")
        }
        self.call(op, "crm.lead", "write", [[lead], values])

    def open_lines(self, op, lead, kind, fields):
        """The open lines of ``kind`` of the lead's current stage (``fields`` read)."""
        return self.call(
            op,
            "crm.lead.checklist.line",
            "search_read",
            [
                [
                    ["lead_id", "=", lead],
                    ["is_current_stage", "=", True],
                    ["kind", "=", kind],
                    ["is_done", "=", False],
                ],
                fields,
            ],
        )

    def op_tick_lines(self, op, lead):
        lines = self.open_lines(op, lead, "confirm", ["id"])
        if lines:
            ids = [line["id"] for line in lines]
            self.call(op, "crm.lead.checklist.line", "write", [ids, {"is_done": True}])

    def op_upload_document(self, op, lead):
        vals = {
            "name": f"requirements-{lead}.pdf",
            "datas": DOCUMENT,
            "res_model": "crm.lead",
            "res_id": lead,
            "mimetype": "application/pdf",
        }
        ids = self.call(op, "ir.attachment", "create", [[vals]])
        self.attachments.extend(ids)
        self.last_attachment[lead] = ids[0]

    def op_attach_to_line(self, op, lead):
        """The document line of the current stage gets the uploaded document, confirmed
        by the customer contact when the item asks for it (addon)."""
        lines = self.open_lines(op, lead, "document", ["id", "needs_confirmation"])
        if lines:
            line_vals = {"attachment_ids": [[4, self.last_attachment[lead]]]}
            if lines[0]["needs_confirmation"]:
                line_vals.update(
                    confirmed_partner_id=self.session.partner_id,
                    confirmed_date=time.strftime("%Y-%m-%d"),
                )
            self.call(op, "crm.lead.checklist.line", "write", [[lines[0]["id"]], line_vals])

    def op_move_stage(self, op, lead):
        current = self.stage_of[lead]
        index = self.stages.index(current) if current in self.stages else -1
        # forward to the next stage; from the last open stage back to the first
        target = self.stages[(index + 1) % len(self.stages)]
        self.call(op, "crm.lead", "write", [[lead], {"stage_id": target}])
        self.stage_of[lead] = target
        self.done_steps.pop(lead, None)
        self.moves.append((lead, target))

    def op_log_follow_up(self, op, lead):
        if self.addon:
            vals = {
                "channel": self.rng.choice(["phone", "visit", "email", "im"]),
                "summary": "Load test: needs and budget discussed",
                "attitude_after": self.rng.choice(["interested", "strong", "wait_and_see"]),
                "next_step": "Send the proposal",
            }
            result = self.call(op, "crm.lead", "action_log_followup", [[lead], vals])
        else:
            result = self.call(
                op,
                "crm.lead",
                "message_post",
                [[lead]],
                {
                    "body": "Load test: needs and budget discussed",
                    "message_type": "comment",
                    "subtype_xmlid": "mail.mt_note",
                },
            )
        self.followups.extend(result if isinstance(result, list) else [result])
