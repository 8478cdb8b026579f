from collections import defaultdict

from markupsafe import Markup

from odoo import _, api, fields, models, tools
from odoo.exceptions import RedirectWarning, UserError
from odoo.tools import SQL

# Context key carrying a manager's override reason. Honoured ONLY for sales managers:
# a salesman passing it (context, RPC, server action) is refused like any other move.
GATE_FORCE_KEY = "funnel_gate_force_reason"
# Context key: do not post the override on each lead's chatter (admin remap of the funnel).
GATE_NO_CHATTER_KEY = "funnel_gate_no_chatter"
MANAGER_GROUP = "sales_team.group_sale_manager"
MAX_BLOCKED_LEADS_SHOWN = 20


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Checklist (stage gate)
    checklist_line_ids = fields.One2many(
        "crm.lead.checklist.line", "lead_id", string="Checklist", copy=False
    )
    # Stored, maintained set-based by _funnel_update_checklist_state (kanban: no query)
    checklist_done_count = fields.Integer(
        "Checklist Done",
        readonly=True,
        copy=False,
        help="Required checklist items of the current stage that are done.",
    )
    checklist_required_count = fields.Integer(
        "Checklist Required",
        readonly=True,
        copy=False,
        help="Required checklist items of the current stage.",
    )
    checklist_blocked = fields.Boolean(
        readonly=True,
        copy=False,
        help="Required items of the current stage are still open: the lead cannot move forward.",
    )
    # Stage history
    stage_history_ids = fields.One2many(
        "crm.lead.stage.history", "lead_id", readonly=True, copy=False
    )
    stage_days = fields.Float(
        "Days in Current Stage", digits=(16, 1), compute="_compute_stage_days"
    )

    @api.depends("date_last_stage_update")
    def _compute_stage_days(self):
        now = fields.Datetime.now()
        for lead in self:
            since = lead.date_last_stage_update or lead.create_date
            lead.stage_days = (now - since).total_seconds() / 86400.0 if since else 0.0

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        # The transaction (or the import savepoint) is rolled back when the gate refuses.
        forced_info = leads._funnel_gate(creating=True)
        leads._funnel_after_move(forced_info)
        return leads

    def write(self, vals):
        if "stage_id" not in vals:
            res = super().write(vals)
            self._funnel_refresh_field_lines(vals)
            return res
        stage = self.env["crm.stage"].browse(vals["stage_id"])
        moving = self.filtered(lambda lead: lead.stage_id != stage)
        forced_info = {}
        lost_or_archived = "active" in vals and not vals["active"]
        if moving and stage and not lost_or_archived:
            forced_info = moving._funnel_gate(new_stage=stage, vals=vals)
        res = super().write(vals)
        moving._funnel_after_move(forced_info)
        self._funnel_refresh_field_lines(vals)
        return res

    # ------------------------------------------------------------
    # GATE
    # ------------------------------------------------------------

    def _funnel_gate(self, new_stage=None, creating=False, vals=None):
        """The stage gate: refuse a forward move while required items are open.

        ``self``: leads about to move to ``new_stage`` (or just created in their stage
        when ``creating``). Checks the stage left and every skipped stage; a move to a
        won stage also checks every earlier stage with ``required_for_won``; a lead
        created in a later stage counts the earlier stages' required items as missing.
        Raises (nothing written) when any lead is blocked, unless a sales manager
        forces the move. Returns ``{lead_id: (reason, missing_text)}`` for forced moves.
        """
        missing = self._funnel_missing_items(new_stage, creating=creating, vals=vals)
        reason = self.env.context.get(GATE_FORCE_KEY)
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        if reason and is_manager:
            return {
                lead.id: (reason, self._funnel_missing_text(missing.get(lead, []))) for lead in self
            }
        if not missing:
            return {}
        message = self._funnel_gate_message(missing)
        if is_manager and not self.env.context.get("import_file"):
            blocked = self.browse(lead.id for lead in missing)
            action = blocked.action_open_gate_override(new_stage or self[:1].stage_id)
            raise RedirectWarning(message, action, _("Force the move"))
        raise UserError(message)

    def _funnel_missing_items(self, new_stage=None, creating=False, vals=None):
        """``{lead: [(stage, items)]}`` of the required items blocking the move.

        Query count does not depend on the number of leads: one read of the stages,
        one of the items, one of the done lines, plus the prefetch of lead fields.
        """
        if not self:
            return {}
        Stage = self.env["crm.stage"]
        # (id, sequence, team ids, required_for_won) in pipeline order, cached
        order = Stage._funnel_stage_order()
        sequence_by_id = {row[0]: row[1] for row in order}

        def key(stage):
            return (sequence_by_id.get(stage.id, stage.sequence), stage.id)

        to_check = {}  # lead -> stages whose required items must be done
        for lead in self:
            target = lead.stage_id if creating else new_stage
            if not target:
                continue
            applicable = [row for row in order if not row[2] or lead.team_id.id in row[2]]
            target_key = key(target)
            if creating:
                checked = [row[0] for row in applicable if (row[1], row[0]) < target_key]
            else:
                old = lead.stage_id
                old_key = key(old) if old else (float("-inf"), 0)
                if old_key >= target_key:
                    continue  # backward move: always allowed
                checked = [row[0] for row in applicable if old_key < (row[1], row[0]) < target_key]
                if old:
                    checked.insert(0, old.id)
                if target.is_won:
                    checked += [
                        row[0] for row in applicable if row[3] and (row[1], row[0]) < old_key
                    ]
            if checked:
                to_check[lead] = Stage.browse(checked)
        if not to_check:
            return {}
        # sudo: the gate reads the stage templates and done states whatever the rules
        checked_stages = self.env["crm.stage"].union(*{s for v in to_check.values() for s in v})
        items = (
            self.env["crm.stage.checklist.item"]
            .sudo()
            .search([("stage_id", "in", checked_stages.ids), ("required", "=", True)])
        )
        if not items:
            return {}
        items_by_stage = defaultdict(list)
        for item in items:
            items_by_stage[item.stage_id].append(item)
        leads = self.browse(lead.id for lead in to_check)
        # sudo: the gate must see every line of the leads being moved, whatever the
        # record rules of the mover; only (lead, item) pairs are read, nothing is returned
        done_pairs = {
            (line["lead_id"], line["item_id"])
            for line in self.env["crm.lead.checklist.line"]
            .sudo()
            .search_read(
                [
                    ("lead_id", "in", leads.ids),
                    ("item_id", "in", items.filtered(lambda i: i.kind != "field").ids),
                    ("is_done", "=", True),
                ],
                ["lead_id", "item_id"],
                load=None,
            )
        }
        result = {}
        for lead, checked in to_check.items():
            blocking = []
            for stage in sorted(set(checked), key=lambda s: (s.sequence, s.id)):
                open_items = [
                    item
                    for item in items_by_stage.get(stage, [])
                    if not (
                        item._is_set_on(lead, vals)
                        if item.kind == "field"
                        else (lead.id, item.id) in done_pairs
                    )
                ]
                if open_items:
                    blocking.append((stage, open_items))
            if blocking:
                result[lead] = blocking
        return result

    @api.model
    def _funnel_missing_text(self, blocking):
        # env._ (not _): inside a generator _() cannot find the user's language
        return "\n".join(
            self.env._(
                "%(stage)s: %(items)s",
                stage=stage.name,
                items=", ".join(item.name for item in items),
            )
            for stage, items in blocking
        )

    @api.model
    def _funnel_gate_message(self, missing):
        lines = []
        for lead, blocking in list(missing.items())[:MAX_BLOCKED_LEADS_SHOWN]:
            for stage, items in blocking:
                lines.append(
                    _(
                        "• %(lead)s — %(stage)s: %(items)s",
                        lead=lead.display_name,
                        stage=stage.name,
                        items=", ".join(item.name for item in items),
                    )
                )
        if len(missing) > MAX_BLOCKED_LEADS_SHOWN:
            lines.append(
                _("… and %(count)s more leads.", count=len(missing) - MAX_BLOCKED_LEADS_SHOWN)
            )
        return _(
            "The stage cannot change until the required checklist items are done:\n%(details)s",
            details="\n".join(lines),
        )

    # ------------------------------------------------------------
    # CHECKLIST LINES AND HISTORY
    # ------------------------------------------------------------

    def _funnel_after_move(self, forced_info):
        """After leads entered a stage: checklist lines, history row, override log."""
        if not self:
            return
        self._funnel_create_stage_lines()
        self._funnel_update_checklist_state()
        self.env["crm.lead.stage.history"]._funnel_record_moves(self, forced_info)
        if forced_info and not self.env.context.get(GATE_NO_CHATTER_KEY):
            bodies = {}
            for lead in self.filtered(lambda lead: lead.id in forced_info):
                reason, missing_text = forced_info[lead.id]
                body = Markup("<p>%s</p>") % _(
                    "Stage gate overridden by %(user)s, moved to %(stage)s.",
                    user=self.env.user.name,
                    stage=lead.stage_id.name,
                )
                body += Markup("<p>%s</p>") % _("Reason: %(reason)s", reason=reason)
                if missing_text:
                    body += Markup("<p>%s</p>") % _("Missing items: %(items)s", items=missing_text)
                bodies[lead.id] = body
            self.browse(bodies)._message_log_batch(bodies=bodies)

    def _funnel_create_stage_lines(self, items=None):
        """Create, set-based, the missing checklist lines of the leads' current stage.

        One INSERT ... SELECT whatever the number of leads; field items are then
        evaluated live on the lead (prefetched) and set done in one UPDATE.
        """
        leads = self.filtered("stage_id")
        if not leads:
            return
        self.env.flush_all()
        items_filter = SQL("")
        if items is not None:
            items_filter = SQL("AND item.id = ANY(%s)", items.ids)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO crm_lead_checklist_line (
                    lead_id, item_id, stage_id, stage_sequence, sequence, kind, required,
                    document_role, company_id, is_done, is_current_stage,
                    create_uid, create_date, write_uid, write_date)
                SELECT lead.id, item.id, item.stage_id, stage.sequence, item.sequence,
                       item.kind, item.required, item.document_role, lead.company_id,
                       FALSE, TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
                  FROM crm_lead lead
                  JOIN crm_stage_checklist_item item
                    ON item.stage_id = lead.stage_id AND item.active
                  JOIN crm_stage stage ON stage.id = item.stage_id
                 WHERE lead.id = ANY(%(ids)s) %(items_filter)s
                    ON CONFLICT (lead_id, item_id) DO NOTHING
             RETURNING id, lead_id, item_id, kind
                """,
                uid=self.env.uid,
                now=self.env.cr.now(),
                ids=leads.ids,
                items_filter=items_filter,
            )
        )
        field_rows = [row for row in self.env.cr.fetchall() if row[3] == "field"]
        Line = self.env["crm.lead.checklist.line"]
        Line.invalidate_model()
        self.invalidate_recordset(["checklist_line_ids"])
        if field_rows:
            # sudo: checklist configuration is read to evaluate field items; no user data
            items = (
                self.env["crm.stage.checklist.item"]
                .sudo()
                .browse({item_id for _line, _lead, item_id, _kind in field_rows})
            )
            # iterate recordsets (not browse per id) so items and leads are prefetched
            item_by_id = {item.id: item for item in items}
            lead_by_id = {lead.id: lead for lead in self}
            done_ids = [
                line_id
                for line_id, lead_id, item_id, _kind in field_rows
                if item_by_id[item_id]._is_set_on(lead_by_id[lead_id])
            ]
            if done_ids:
                self.env.cr.execute(
                    SQL(
                        """
                        UPDATE crm_lead_checklist_line
                           SET is_done = TRUE, done_user_id = %(uid)s, done_date = %(now)s
                         WHERE id = ANY(%(ids)s)
                        """,
                        uid=self.env.uid,
                        now=self.env.cr.now(),
                        ids=done_ids,
                    )
                )
                Line.invalidate_model()

    def _funnel_update_checklist_state(self):
        """Set-based refresh of the current-stage flags and the stored progress counts."""
        if not self:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                UPDATE crm_lead_checklist_line line
                   SET is_current_stage = (line.stage_id = lead.stage_id)
                  FROM crm_lead lead
                 WHERE line.lead_id = lead.id AND lead.id = ANY(%(ids)s)
                   AND line.is_current_stage IS DISTINCT FROM (line.stage_id = lead.stage_id);
                UPDATE crm_lead lead
                   SET checklist_required_count = COALESCE(c.required, 0),
                       checklist_done_count = COALESCE(c.done, 0),
                       checklist_blocked = COALESCE(c.done < c.required, FALSE)
                  FROM crm_lead l2
             LEFT JOIN (
                        SELECT line.lead_id,
                               COUNT(*) FILTER (WHERE line.required) AS required,
                               COUNT(*) FILTER (WHERE line.required AND line.is_done) AS done
                          FROM crm_lead_checklist_line line
                          JOIN crm_lead l ON l.id = line.lead_id AND l.stage_id = line.stage_id
                         WHERE line.lead_id = ANY(%(ids)s)
                      GROUP BY line.lead_id
                       ) c ON c.lead_id = l2.id
                 WHERE lead.id = l2.id AND l2.id = ANY(%(ids)s)
                """,
                ids=self.ids,
            )
        )
        self.env["crm.lead.checklist.line"].invalidate_model(["is_current_stage"])
        self.invalidate_recordset(
            ["checklist_required_count", "checklist_done_count", "checklist_blocked"]
        )

    @tools.ormcache()
    def _funnel_field_item_names(self):
        # sudo: configuration read (field names checked by items), cached registry-wide
        items = self.env["crm.stage.checklist.item"].sudo().search([("kind", "=", "field")])
        return frozenset(items.field_id.mapped("name"))

    def _funnel_refresh_field_lines(self, vals):
        """A lead field checked by a field item changed: update the current stage's lines.

        Only the current stage's progress is stored; the gate itself evaluates field
        items live, so lines of other stages need no refresh. Leads without required
        items in their stage cost no query.
        """
        leads = self.filtered("checklist_required_count")
        if not leads or not (self._funnel_field_item_names() & set(vals)):
            return
        # sudo: system bookkeeping of the progress of leads the user just wrote
        lines = (
            self.env["crm.lead.checklist.line"]
            .sudo()
            .search(
                [
                    ("lead_id", "in", leads.ids),
                    ("kind", "=", "field"),
                    ("is_current_stage", "=", True),
                ]
            )
        )
        lines._funnel_refresh_done()

    # ------------------------------------------------------------
    # ACTIONS / HELPERS
    # ------------------------------------------------------------

    def action_open_gate_override(self, stage=None):
        context = {"default_lead_ids": self.ids}
        if stage:
            context["default_stage_id"] = stage.id
        return {
            "type": "ir.actions.act_window",
            "name": _("Force Stage Change"),
            "res_model": "crm.lead.gate.override",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": context,
        }

    def _funnel_complete_checklists(self, stages=None):
        """Mark every checklist item of ``stages`` done for these leads (fixtures, demo).

        Default: every stage of the pipeline. Lines are created where missing; document
        lines get a placeholder attachment and confirmation; field items are not
        touched (set the lead fields). Runs as superuser: meant for tests and data
        loading, never called from user actions.
        """
        stages = stages if stages is not None else self.env["crm.stage"].sudo().search([])
        items = self.env["crm.stage.checklist.item"].sudo().search([("stage_id", "in", stages.ids)])
        Line = self.env["crm.lead.checklist.line"].sudo()
        existing = Line.search([("lead_id", "in", self.ids), ("item_id", "in", items.ids)])
        # lines of other stages than the current one are created like on stage entry
        have = {(line.lead_id.id, line.item_id.id) for line in existing}
        vals_list = [
            {
                "lead_id": lead.id,
                "item_id": item.id,
                "stage_id": item.stage_id.id,
                "kind": item.kind,
                "required": item.required,
            }
            for lead in self
            for item in items
            if (lead.id, item.id) not in have
        ]
        lines = (existing | Line.create(vals_list)).filtered(lambda line: line.kind != "field")
        for line in lines.filtered(lambda line: line.kind == "document"):
            # sudo: fixture/demo helper only (documented above), never a user action
            attachment = (
                self.env["ir.attachment"]
                .sudo()
                .create(
                    {
                        "name": f"{line.name}.txt",
                        "raw": b"checklist document",
                        "res_model": "crm.lead",
                        "res_id": line.lead_id.id,
                    }
                )
            )
            line.write(
                {
                    "attachment_ids": [(4, attachment.id)],
                    "confirmed_partner_id": line.lead_id.partner_id.id
                    or self.env.user.partner_id.id,
                    "confirmed_date": fields.Date.today(),
                }
            )
        lines.filtered(lambda line: line.kind in ("confirm", "approval")).write({"is_done": True})
        return True
