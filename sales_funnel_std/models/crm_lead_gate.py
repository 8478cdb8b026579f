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
PROGRESS_FIELDS = ("checklist_required_count", "checklist_done_count", "checklist_blocked")


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Checklist (stage gate)
    checklist_line_ids = fields.One2many(
        "crm.lead.checklist.line", "lead_id", string="Checklist", copy=False
    )
    # Progress of the current stage's required items: stored (kanban cards read it with
    # the lead), recomputed from the lines in one _read_group per batch of leads and
    # written by the ORM together with the stage of a moved lead
    checklist_done_count = fields.Integer(
        "Checklist Done",
        compute="_compute_checklist_progress",
        store=True,
        help="Required checklist items of the current stage that are done.",
    )
    checklist_required_count = fields.Integer(
        "Checklist Required",
        compute="_compute_checklist_progress",
        store=True,
        help="Required checklist items of the current stage.",
    )
    checklist_blocked = fields.Boolean(
        compute="_compute_checklist_progress",
        store=True,
        help="Required items of the current stage are still open: the lead cannot move forward.",
    )
    # Stage history
    stage_history_ids = fields.One2many(
        "crm.lead.stage.history", "lead_id", readonly=True, copy=False
    )
    stage_days = fields.Float(
        "Days in Current Stage", digits=(16, 1), compute="_compute_stage_days"
    )

    @api.depends(
        "checklist_line_ids.is_current_stage",
        "checklist_line_ids.required",
        "checklist_line_ids.is_done",
        "checklist_line_ids.not_applicable",
    )
    def _compute_checklist_progress(self):
        counts = {}  # lead id -> (required, done)
        lead_ids = [lead_id for lead_id in self._origin.ids if lead_id]
        if lead_ids:
            self.env["crm.lead.checklist.line"].flush_model(
                ["lead_id", "is_current_stage", "required", "is_done", "not_applicable"]
            )
            # SQL: a stored value must not depend on the record rules of whoever
            # triggers the computation; only counts of the leads' own lines are read
            self.env.cr.execute(
                SQL(
                    """
                    SELECT lead_id, COUNT(*), COUNT(*) FILTER (WHERE is_done OR not_applicable)
                      FROM crm_lead_checklist_line
                     WHERE lead_id = ANY(%s) AND is_current_stage AND required
                  GROUP BY lead_id
                    """,
                    lead_ids,
                )
            )
            counts = {
                lead_id: (required, done) for lead_id, required, done in self.env.cr.fetchall()
            }
        self._funnel_set_progress(counts)

    def _funnel_set_progress(self, counts):
        """Assign the progress fields from ``{lead id: (required, done)}``."""
        for lead in self:
            required, done = counts.get(lead._origin.id, (0, 0))
            lead.checklist_required_count = required
            lead.checklist_done_count = done
            lead.checklist_blocked = done < required

    @api.depends("date_last_stage_update")
    def _compute_stage_days(self):
        now = fields.Datetime.now()
        for lead in self:
            since = lead.date_last_stage_update or lead.create_date
            lead.stage_days = (now - since).total_seconds() / 86400.0 if since else 0.0

    # ------------------------------------------------------------
    # WRITE PIPELINE STEPS (called by crm.lead.create/write, models/crm_lead.py)
    # ------------------------------------------------------------

    def _funnel_check_move(self, vals):
        """Write pipeline, step 2: the gate on a stage change. Returns ``(moving leads,
        {lead id: (reason, missing text)} of a manager's forced moves)``; raises, nothing
        written, when a lead of an adopted team is blocked. Lost and archived moves are
        always allowed."""
        if "stage_id" not in vals:
            return self.browse(), {}
        stage = self.env["crm.stage"].browse(vals["stage_id"])
        moving = self.filtered(lambda lead: lead.stage_id != stage)
        if not moving or not stage or ("active" in vals and not vals["active"]):
            return moving, {}
        return moving, moving._funnel_enforced(vals)._funnel_gate(new_stage=stage, vals=vals)

    @api.model
    def _funnel_unfold_stage(self, vals):
        """A lead put into a stage folded into a standard one goes to the standard one."""
        stage_id = vals.get("stage_id")
        if stage_id and isinstance(stage_id, int):
            target = self.env["crm.stage"]._funnel_fold_map().get(stage_id)
            if target:
                return {**vals, "stage_id": target}
        return vals

    def _funnel_enforced(self, vals=None):
        """The leads on which the standard funnel is enforced (adopted): their team's
        choice, the company's for leads without team (``vals``: the team being written
        with the move counts). The others' checklists are advisory. No query."""
        teams, companies, main_company = self.env["crm.team"]._funnel_adoption()
        if not teams and not companies:
            return self.browse()
        new_team = vals.get("team_id") if vals and "team_id" in vals else None

        def enforced(lead):
            team_id = lead.team_id.id if new_team is None else new_team
            if team_id:
                return team_id in teams
            return (lead.company_id.id or main_company) in companies

        return self.filtered(enforced)

    # ------------------------------------------------------------
    # GATE
    # ------------------------------------------------------------

    def _funnel_gate(self, new_stage=None, creating=False, vals=None):
        """The stage gate: refuse a forward move while required items are open, and any
        move that breaks a pipeline rule of the stages (see ``_funnel_rule_breaks``).

        ``self``: leads about to move to ``new_stage`` (or just created in their stage
        when ``creating``). Checks the stage left and every skipped stage; a move to a
        won stage also checks every earlier stage with ``required_for_won``; a lead
        created in a later stage counts the earlier stages' required items as missing.
        Raises (nothing written) when any lead is blocked, unless a sales manager
        forces the move. Returns ``{lead_id: (reason, missing_text)}`` for forced moves.
        """
        missing = self._funnel_missing_items(new_stage, creating=creating, vals=vals)
        breaks = self._funnel_rule_breaks(new_stage, creating=creating)
        reason = self.env.context.get(GATE_FORCE_KEY)
        is_manager = self.env.user.has_group(MANAGER_GROUP)
        if reason and is_manager:
            return {
                lead.id: (
                    reason,
                    self._funnel_missing_text(missing.get(lead, []), breaks.get(lead, [])),
                )
                for lead in self
            }
        if not missing and not breaks:
            return {}
        message = self._funnel_gate_message(missing, breaks)
        if is_manager and not self.env.context.get("import_file"):
            blocked = self.browse(lead.id for lead in {**breaks, **missing})
            action = blocked.action_open_gate_override(new_stage or self[:1].stage_id)
            raise RedirectWarning(message, action, _("Force the move"))
        raise UserError(message)

    def _funnel_rule_breaks(self, new_stage=None, creating=False):
        """``{lead: [(stage, rule text)]}`` of the pipeline rules the move breaks.

        Rules of the stages applicable to the lead's team: moving back into a stage
        with "No Moving Back Into"; moving forward over (or being created after) a
        stage with "Cannot Be Skipped"; leaving a stage whose "Who May Move Leads Out"
        group the user is not in. No query: the cached pipeline order and the user's
        cached groups.
        """
        order = self.env["crm.stage"]._funnel_stage_order()
        if not self or not any(
            row.no_backward or row.no_skip or row.exit_group_id for row in order
        ):
            return {}
        row_by_id = {row.id: row for row in order}
        user_groups = set(self.env.user._get_group_ids())
        result = {}
        for lead in self:
            target = row_by_id.get((lead.stage_id if creating else new_stage).id)
            if not target:
                continue  # no stage, or an archived one: no rule
            old = None if creating else row_by_id.get(lead.stage_id.id)
            if old:
                old_key = (old.sequence, old.id)
            elif not creating and lead.stage_id:  # an archived stage: its own place
                old_key = (lead.stage_id.sequence, lead.stage_id.id)
            else:
                old_key = (float("-inf"), 0)
            target_key = (target.sequence, target.id)
            breaks = []  # (stage id, rule text)
            if old and old.exit_group_id and old.exit_group_id not in user_groups:
                # sudo: the group's name, for the message
                group = self.env["res.groups"].sudo().browse(old.exit_group_id)
                breaks.append(
                    (
                        old.id,
                        self.env._(
                            "only members of %(group)s can move leads out of this stage",
                            group=group.display_name,
                        ),
                    )
                )
            if old_key > target_key:
                if target.no_backward:
                    breaks.append((target.id, self.env._("leads cannot move back into this stage")))
            else:
                breaks += [
                    (row.id, self.env._("this stage cannot be skipped"))
                    for row in order
                    if row.no_skip
                    and old_key < (row.sequence, row.id) < target_key
                    and (not row.team_ids or lead.team_id.id in row.team_ids)
                ]
            if breaks:
                # sudo: the stages' names, for the message
                Stage = self.env["crm.stage"].sudo()
                result[lead] = [(Stage.browse(stage_id), text) for stage_id, text in breaks]
        return result

    def _funnel_missing_items(self, new_stage=None, creating=False, vals=None):
        """``{lead: [(stage, items, on entry)]}`` of the required items blocking the move:
        the items checked when leaving the stage left and the stages skipped, those
        checked when entering the stages skipped and the stage entered (``on entry``).

        Stages and items come from registry caches; one query reads the done lines,
        whatever the number of leads (plus the prefetch of the lead fields, and one
        search per distinct condition of the conditional items checked).
        """
        if not self:
            return {}
        Stage = self.env["crm.stage"]
        # (id, sequence, team ids, required_for_won, is_won) in pipeline order, cached
        order = Stage._funnel_stage_order()
        row_by_id = {row[0]: row for row in order}

        def key(stage):
            # archived stages are not in the cached order: read them
            row = row_by_id.get(stage.id)
            return (row[1], row[0]) if row else (stage.sequence, stage.id)

        def is_won(stage):
            row = row_by_id.get(stage.id)
            return row[4] if row else stage.is_won

        to_check = {}  # lead -> ids of the stages whose required items must be done
        to_enter = {}  # lead -> ids of the stages whose entry items must be done
        for lead in self:
            target = lead.stage_id if creating else new_stage
            if not target:
                continue
            applicable = [row for row in order if not row[2] or lead.team_id.id in row[2]]
            target_key = key(target)
            if creating:
                checked = [row[0] for row in applicable if (row[1], row[0]) < target_key]
                entered = [*checked, target.id]
            else:
                old = lead.stage_id
                old_key = key(old) if old else (float("-inf"), 0)
                if old_key >= target_key:
                    continue  # backward move: always allowed
                checked = [row[0] for row in applicable if old_key < (row[1], row[0]) < target_key]
                entered = [*checked, target.id]
                if old:
                    checked.insert(0, old.id)
                if is_won(target):
                    checked += [
                        row[0] for row in applicable if row[3] and (row[1], row[0]) < old_key
                    ]
            if checked:
                to_check[lead] = checked
            to_enter[lead] = entered
        Item = self.env["crm.stage.checklist.item"]
        exit_items, entry_items = {}, {}  # stage id -> required items checked when ...
        for stage_id, items in Item._funnel_items_by_stage().items():
            exit_items[stage_id] = [i for i in items if i.required and i.check_on == "exit"]
            entry_items[stage_id] = [i for i in items if i.required and i.check_on == "entry"]
        checked_items = [
            item
            for stage_id in {s for v in to_check.values() for s in v}
            for item in exit_items.get(stage_id, ())
        ] + [
            item
            for stage_id in {s for v in to_enter.values() for s in v}
            for item in entry_items.get(stage_id, ())
        ]
        if not checked_items:
            return {}
        leads = {**to_check, **to_enter}
        # field items are evaluated live; their lines count only when not applicable
        done_pairs = self._funnel_done_pairs(
            [lead.id for lead in leads], [item.id for item in checked_items]
        )
        # items scoped to other teams or to a condition the lead does not match
        skipped_pairs = Item._funnel_inapplicable_pairs(
            self.browse(lead.id for lead in leads), set(checked_items)
        )

        def open_items(lead, items):
            return [
                item.id
                for item in items
                if not (
                    (lead.id, item.id) in done_pairs
                    or (lead.id, item.id) in skipped_pairs
                    or (
                        item.kind == "field" and Item._funnel_field_set(lead, item.field_name, vals)
                    )
                )
            ]

        result = {}
        for lead in leads:
            blocking = []
            stage_ids = set(to_check.get(lead, ())) | set(to_enter.get(lead, ()))
            for stage_id in sorted(stage_ids, key=lambda sid: key(Stage.browse(sid))):
                for on_entry, items, stages in (
                    (True, entry_items, to_enter),
                    (False, exit_items, to_check),
                ):
                    if stage_id not in stages.get(lead, ()):
                        continue
                    open_ids = open_items(lead, items.get(stage_id, ()))
                    if open_ids:
                        # sudo: the names of the stage's checklist items, for the message
                        blocking.append(
                            (Stage.browse(stage_id), Item.sudo().browse(open_ids), on_entry)
                        )
            if blocking:
                result[lead] = blocking
        return result

    def _funnel_done_pairs(self, lead_ids, item_ids):
        """``{(lead id, item id)}`` of the lines among these that count as done: ticked
        (not field items: evaluated live) or not applicable (one query).

        Plain SQL: the gate must see every line of the leads being moved, whatever
        the record rules of the mover; only (lead, item) pairs are read, nothing is
        returned to the user.
        """
        if not lead_ids or not item_ids:
            return set()
        self.env["crm.lead.checklist.line"].flush_model(
            ["lead_id", "item_id", "kind", "is_done", "not_applicable"]
        )
        self.env.cr.execute(
            SQL(
                """
                SELECT lead_id, item_id FROM crm_lead_checklist_line
                 WHERE lead_id = ANY(%s) AND item_id = ANY(%s)
                   AND (not_applicable OR (is_done AND kind != 'field'))
                """,
                lead_ids,
                item_ids,
            )
        )
        return set(self.env.cr.fetchall())

    @api.model
    def _funnel_missing_text(self, blocking, breaks=()):
        """One line per stage of a lead's open items, then one per pipeline rule broken
        (the override log in the stage history)."""
        # env._ (not _): inside a generator _() cannot find the user's language
        return "\n".join(
            [
                self.env._(
                    "%(stage)s: %(items)s",
                    stage=self._funnel_stage_label(stage, on_entry),
                    items=", ".join(item.name for item in items),
                )
                for stage, items, on_entry in blocking
            ]
            + [
                self.env._("%(stage)s: %(rule)s", stage=stage.name, rule=rule)
                for stage, rule in breaks
            ]
        )

    @api.model
    def _funnel_stage_label(self, stage, on_entry=False):
        """The stage as named in a refusal: items checked when entering it say so."""
        if on_entry:
            return self.env._("%(stage)s (to enter)", stage=stage.name)
        return stage.name

    @api.model
    def _funnel_gate_message(self, missing, breaks=None):
        """The refusal: the pipeline rules broken, then the open required items, each
        naming the lead and the stage."""
        sections = []
        if breaks:
            lines = [
                _(
                    "• %(lead)s — %(stage)s: %(rule)s",
                    lead=lead.display_name,
                    stage=stage.name,
                    rule=rule,
                )
                for lead, lead_breaks in list(breaks.items())[:MAX_BLOCKED_LEADS_SHOWN]
                for stage, rule in lead_breaks
            ]
            if len(breaks) > MAX_BLOCKED_LEADS_SHOWN:
                lines.append(
                    _("… and %(count)s more leads.", count=len(breaks) - MAX_BLOCKED_LEADS_SHOWN)
                )
            sections.append(
                _(
                    "The stage cannot change: the move breaks the pipeline rules:\n%(details)s",
                    details="\n".join(lines),
                )
            )
        if missing:
            lines = []
            for lead, blocking in list(missing.items())[:MAX_BLOCKED_LEADS_SHOWN]:
                for stage, items, on_entry in blocking:
                    lines.append(
                        _(
                            "• %(lead)s — %(stage)s: %(items)s",
                            lead=lead.display_name,
                            stage=self._funnel_stage_label(stage, on_entry),
                            items=", ".join(item.name for item in items),
                        )
                    )
            if len(missing) > MAX_BLOCKED_LEADS_SHOWN:
                lines.append(
                    _("… and %(count)s more leads.", count=len(missing) - MAX_BLOCKED_LEADS_SHOWN)
                )
            sections.append(
                _(
                    "The stage cannot change until the required checklist items are "
                    "done:\n%(details)s",
                    details="\n".join(lines),
                )
            )
        return "\n".join(sections)

    # ------------------------------------------------------------
    # CHECKLIST LINES AND HISTORY
    # ------------------------------------------------------------

    def _funnel_after_move(self, forced_info):
        """After leads entered a stage: checklist lines, history, override log.

        One round trip whatever the number of leads, built from the values the ORM
        holds (the stage write itself is flushed later, as without this addon):
        the history close/open, the current-stage flags and the new stage's lines.
        """
        if not self:
            return
        History = self.env["crm.lead.stage.history"]
        Line = self.env["crm.lead.checklist.line"]
        # each model builds the statement on its own table; one round trip for the three
        self.env.cr.execute(
            SQL(";").join(
                [
                    History._funnel_moves_sql(self, forced_info),
                    Line._funnel_leave_stage_sql(self),
                    Line._funnel_upsert_current_sql(self, returning=True),
                ]
            )
        )
        current_lines = self.env.cr.fetchall()
        self._funnel_invalidate_lines()
        self._funnel_assign_progress(current_lines)
        History.invalidate_model()
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
        """Create the missing checklist lines of the leads' current stage (one query,
        built by the line model); the progress is recomputed at the next flush, in the
        same UPDATE as the leads' pending changes."""
        if not self:
            return
        self.env["crm.lead.checklist.line"]._funnel_upsert_current(self, items)
        self._funnel_invalidate_lines()
        self.env["crm.lead.checklist.line"]._funnel_sync_owner_activities_of_leads(self)
        for fname in PROGRESS_FIELDS:
            self.env.add_to_compute(self._fields[fname], self)

    def _funnel_assign_progress(self, current_lines):
        """The stored progress of leads that just entered their stage, from all their
        current lines ``(lead id, required, is_done)`` (returned by the lines upsert).

        Assigned the way the ORM assigns a computed field (protected records: cache
        only, no write logic): no query, and the ORM writes it in the same UPDATE as
        the stage.
        """
        counts = {lead.id: (0, 0) for lead in self}
        for lead_id, required, is_done in current_lines:
            if required:
                counts[lead_id] = (counts[lead_id][0] + 1, counts[lead_id][1] + bool(is_done))
        progress_fields = [self._fields[fname] for fname in PROGRESS_FIELDS]
        with self.env.protecting(progress_fields, self):
            self._funnel_set_progress(counts)

    def _funnel_invalidate_lines(self):
        """The lines changed in SQL: drop them from the cache."""
        self.env["crm.lead.checklist.line"].invalidate_model()
        self.invalidate_recordset(["checklist_line_ids"])

    @tools.ormcache()
    def _funnel_field_item_names(self):
        items_by_stage = self.env["crm.stage.checklist.item"]._funnel_items_by_stage()
        return frozenset(
            item.field_name
            for items in items_by_stage.values()
            for item in items
            if item.kind == "field" and item.field_name
        )

    def _funnel_refresh_scoped_lines(self, vals):
        """A field a scoped item depends on changed (team, condition): the leads'
        current lines follow (appear or stop being current). No query unless a written
        field is one of them and the leads' current stage has a scoped item."""
        Item = self.env["crm.stage.checklist.item"]
        if not Item._funnel_scope_field_names() & set(vals):
            return
        items_by_stage = Item._funnel_items_by_stage()
        leads = self.filtered(
            lambda lead: any(
                item.team_ids or item.domain for item in items_by_stage.get(lead.stage_id.id, ())
            )
        )
        # sudo: system bookkeeping of the lines of leads the user just wrote
        leads.sudo()._funnel_create_stage_lines()

    def _funnel_refresh_field_lines(self, vals):
        """A lead field checked by a field item changed: update the current stage's lines.

        Only the current stage's progress is shown; the gate itself evaluates field
        items live, so lines of other stages need no refresh. Costs no query unless
        the current stage of a lead checks one of the fields written.
        """
        fnames = self._funnel_field_item_names() & set(vals)
        if not fnames:
            return
        items_by_stage = self.env["crm.stage.checklist.item"]._funnel_items_by_stage()
        leads = self.filtered(
            lambda lead: any(
                item.kind == "field" and item.field_name in fnames
                for item in items_by_stage.get(lead.stage_id.id, ())
            )
        )
        if not leads:
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
