from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .crm_stage_checklist_item import ITEM_KINDS

# structural fields: set by the system from the stage items, never by users
PROTECTED_FIELDS = {"lead_id", "item_id", "stage_id", "kind", "required", "company_id"}
# "not applicable" fields: sales managers only, whatever the channel or context
NOT_APPLICABLE_FIELDS = {"not_applicable", "na_reason", "na_user_id", "na_date"}
MANAGER_GROUP = "sales_team.group_sale_manager"


class CrmLeadChecklistLine(models.Model):
    _name = "crm.lead.checklist.line"
    _description = "Lead Checklist Line"
    _order = "lead_id, is_current_stage desc, stage_sequence, stage_id, sequence, id"

    # indexed by _lead_item_unique (lead_id, item_id)
    lead_id = fields.Many2one("crm.lead", required=True, ondelete="cascade", readonly=True)
    item_id = fields.Many2one(
        "crm.stage.checklist.item", required=True, index=True, ondelete="cascade", readonly=True
    )
    stage_id = fields.Many2one("crm.stage", required=True, index=True, readonly=True)
    stage_sequence = fields.Integer("Stage Sequence", related="stage_id.sequence", store=True)
    sequence = fields.Integer(related="item_id.sequence", store=True)
    name = fields.Char(related="item_id.name")
    guidance = fields.Text(related="item_id.guidance")
    kind = fields.Selection(ITEM_KINDS, required=True, readonly=True)
    required = fields.Boolean(readonly=True)
    document_role = fields.Selection(related="item_id.document_role", store=True)
    needs_confirmation = fields.Boolean(related="item_id.needs_confirmation")
    template_file = fields.Binary(related="item_id.template_file")
    template_filename = fields.Char(related="item_id.template_filename")
    # the lead field a "field" item waits for (shown on the checklist)
    field_label = fields.Char("Lead Field", related="item_id.field_id.field_description")
    # maintained set-based when the lead moves (crm.lead._funnel_after_move)
    is_current_stage = fields.Boolean("Current Stage", readonly=True)
    is_done = fields.Boolean("Done", copy=False)
    done_user_id = fields.Many2one("res.users", "Done By", readonly=True, copy=False)
    done_date = fields.Datetime("Done On", readonly=True, copy=False)
    attachment_ids = fields.Many2many(
        "ir.attachment",
        "crm_lead_checklist_line_attachment_rel",
        "line_id",
        "attachment_id",
        string="Attachments",
        copy=False,
    )
    confirmed_partner_id = fields.Many2one(
        "res.partner",
        "Confirmed/Signed By",
        help="Customer contact who confirmed the requirements list or signed the "
        "negotiation minutes.",
    )
    confirmed_date = fields.Date("Confirmed/Signed On")
    note = fields.Text()
    # A sales manager's decision that the item does not apply to this lead: counts as
    # done for the gate and the progress; logged in the stage history and the chatter
    not_applicable = fields.Boolean(
        readonly=True,
        copy=False,
        help="A sales manager decided that this item does not apply to this lead: it "
        "counts as done for the stage gate.",
    )
    na_reason = fields.Text("Why Not Applicable", readonly=True, copy=False)
    na_user_id = fields.Many2one("res.users", "Marked Not Applicable By", readonly=True, copy=False)
    na_date = fields.Datetime("Marked Not Applicable On", readonly=True, copy=False)
    # not stored: a stored copy would cost core's bulk lead writes (assignment) one query
    # per lead to find the lines to recompute; the record rule goes through the lead
    company_id = fields.Many2one(related="lead_id.company_id")

    _lead_item_unique = models.UniqueIndex("(lead_id, item_id)")

    @api.constrains("not_applicable", "na_reason")
    def _check_na_reason(self):
        for line in self:
            if line.not_applicable and not (line.na_reason or "").strip():
                raise ValidationError(
                    _(
                        "Give the reason why the checklist item “%(item)s” does not apply "
                        "to %(lead)s.",
                        item=line.name,
                        lead=line.lead_id.display_name,
                    )
                )

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su and not self.env.user.has_group("sales_team.group_sale_manager"):
            raise AccessError(
                _(
                    "Checklist lines are created from the stage checklist when a lead "
                    "enters a stage."
                )
            )
        leads = self.env["crm.lead"].browse({vals["lead_id"] for vals in vals_list})
        leads.check_access("write")
        stage_by_lead = {lead.id: lead.stage_id.id for lead in leads}
        vals_list = [
            dict(vals, is_current_stage=vals.get("stage_id") == stage_by_lead[vals["lead_id"]])
            for vals in vals_list
        ]
        lines = super().create(vals_list)
        lines._funnel_link_attachments()
        lines._funnel_refresh_done()
        lines._funnel_sync_owner_activities()
        return lines

    def write(self, vals):
        if not self.env.su and PROTECTED_FIELDS & set(vals):
            raise UserError(_("The stage, item and lead of a checklist line cannot be changed."))
        self._funnel_check_system_fields(vals)
        na_changed = self.browse()
        if NOT_APPLICABLE_FIELDS & set(vals):
            vals, na_changed = self._funnel_not_applicable_vals(vals)
        decided = self.browse()
        if "is_done" in vals and not self.env.su:
            self._funnel_check_manual_tick(bool(vals["is_done"]))
            decided = self.filtered(
                lambda line: line.kind == "approval" and line.is_done != bool(vals["is_done"])
            )
        if vals.get("is_done"):
            vals = dict(vals, done_user_id=self.env.uid, done_date=fields.Datetime.now())
        elif "is_done" in vals:
            vals = dict(vals, done_user_id=False, done_date=False)
        res = super().write(vals)
        if "attachment_ids" in vals:
            self._funnel_link_attachments()
        if {"attachment_ids", "confirmed_partner_id", "confirmed_date"} & set(vals):
            self._funnel_refresh_done()
        na_changed._funnel_log_not_applicable()
        decided._funnel_direct_decision()
        owned = self._funnel_owned_item_ids()
        if owned and {"is_done", "not_applicable"} & set(vals):
            self.filtered(lambda line: line.item_id.id in owned)._funnel_sync_owner_activities()
        return res

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _funnel_not_applicable_vals(self, vals):
        """Check and complete a change of "not applicable": sales managers only (no
        context key changes that); returns ``(vals, lines whose state changes)``."""
        if not self.env.su and not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _("Only a sales manager can mark a checklist item as not applicable.")
            )
        if "not_applicable" not in vals:
            return vals, self.browse()
        if vals["not_applicable"]:
            vals = dict(vals, na_user_id=self.env.uid, na_date=fields.Datetime.now())
        else:
            vals = dict(vals, na_reason=False, na_user_id=False, na_date=False)
        return vals, self.filtered(lambda line: line.not_applicable != bool(vals["not_applicable"]))

    def action_set_not_applicable(self, reason):
        """Mark these lines not applicable, with the manager's reason (logged)."""
        self.write({"not_applicable": True, "na_reason": (reason or "").strip()})

    def action_open_not_applicable(self):
        """The reason dialog (sales managers; the write itself checks the group)."""
        return {
            "type": "ir.actions.act_window",
            "name": _("Mark Not Applicable"),
            "res_model": "crm.lead.checklist.line.na",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": {"default_line_ids": self.ids},
        }

    def action_set_applicable(self):
        """Undo "not applicable": the item counts again (logged)."""
        self.write({"not_applicable": False})

    def _funnel_log_not_applicable(self):
        """Log a change of "not applicable" in the stage history and the lead's chatter."""
        if not self:
            return
        texts, bodies = {}, {}
        for line in self:
            if line.not_applicable:
                text = self.env._(
                    "%(item)s: not applicable (%(user)s): %(reason)s",
                    item=line.name,
                    user=self.env.user.name,
                    reason=line.na_reason,
                )
                body = Markup("<p>%s</p>") % self.env._(
                    "Checklist item “%(item)s” marked not applicable by %(user)s. "
                    "Reason: %(reason)s",
                    item=line.name,
                    user=self.env.user.name,
                    reason=line.na_reason,
                )
            else:
                text = self.env._(
                    "%(item)s: applicable again (%(user)s)",
                    item=line.name,
                    user=self.env.user.name,
                )
                body = Markup("<p>%s</p>") % self.env._(
                    "Checklist item “%(item)s” applies again (%(user)s).",
                    item=line.name,
                    user=self.env.user.name,
                )
            lead_id = line.lead_id.id
            texts[lead_id] = "\n".join(filter(None, [texts.get(lead_id), text]))
            bodies[lead_id] = bodies.get(lead_id, Markup()) + body
        self.env["crm.lead.stage.history"]._funnel_log_not_applicable(texts)
        self.lead_id._message_log_batch(bodies=bodies)

    def _funnel_check_manual_tick(self, done):
        for line in self:
            if line.kind == "document" and done != line._funnel_document_done():
                if line.needs_confirmation:
                    message = _(
                        "“%(item)s” is done when its document is attached and the customer "
                        "confirmation is filled in; it cannot be ticked by hand.",
                        item=line.name,
                    )
                else:
                    message = _(
                        "“%(item)s” is done when its document is attached; it cannot be "
                        "ticked by hand.",
                        item=line.name,
                    )
                raise ValidationError(message)
            if line.kind == "field" and done != line.item_id._is_set_on(line.lead_id):
                raise ValidationError(
                    _(
                        "“%(item)s” is done when the lead field “%(field)s” is set; it "
                        "cannot be ticked by hand.",
                        item=line.name,
                        field=line.item_id.field_id.field_description,
                    )
                )
            if line.kind == "approval":
                line._funnel_check_direct_approval(done)

    def _funnel_document_done(self):
        self.ensure_one()
        if not self.attachment_ids:
            return False
        if self.needs_confirmation:
            return bool(self.confirmed_partner_id and self.confirmed_date)
        return True

    def _funnel_refresh_done(self):
        """Set ``is_done`` of document and field lines from their evidence (batched)."""
        to_done, to_undone = self.browse(), self.browse()
        for line in self:
            if line.kind == "document":
                done = line._funnel_document_done()
            elif line.kind == "field":
                done = line.item_id._is_set_on(line.lead_id)
            else:
                continue
            if done and not line.is_done:
                to_done |= line
            elif not done and line.is_done:
                to_undone |= line
        # sudo: the state is derived from evidence the user was allowed to write
        if to_done:
            to_done.sudo().write({"is_done": True})
        if to_undone:
            to_undone.sudo().write({"is_done": False})

    def _funnel_link_attachments(self):
        """Checklist files belong to the lead: they also show in its chatter."""
        for line in self:
            attachments = line.attachment_ids.filtered(
                lambda a, line=line: a.res_model != "crm.lead" or a.res_id != line.lead_id.id
            )
            if attachments:
                attachments.check_access("read")
                line.lead_id.check_access("write")
                # sudo: the user can read the files and write the lead they are moved to
                attachments.sudo().write({"res_model": "crm.lead", "res_id": line.lead_id.id})

    # ------------------------------------------------------------
    # STAGE ENTRY (set-based; crm.lead calls these when leads enter a stage)
    # ------------------------------------------------------------

    @api.model
    def _funnel_leave_stage_sql(self, leads):
        """UPDATE: the lines of the stages ``leads`` left are no longer current."""
        return SQL(
            """
            UPDATE crm_lead_checklist_line line
               SET is_current_stage = FALSE
              FROM unnest(%(ids)s::int[], %(stage_ids)s::int[]) AS lead(id, stage_id)
             WHERE line.lead_id = lead.id AND line.lead_id = ANY(%(ids)s)
               AND line.is_current_stage
               AND line.stage_id IS DISTINCT FROM lead.stage_id
            """,
            ids=leads.ids,
            stage_ids=[lead.stage_id.id or None for lead in leads],
        )

    @api.model
    def _funnel_upsert_current_sql(self, leads, items=None, returning=False, skipped=None):
        """Upsert of the checklist lines of ``leads``' current stage (``items`` only,
        when given), whatever the number of leads; they are the current ones.

        Field items are evaluated here on the leads and their lines are inserted
        done; the field lines a lead kept from an earlier stay in the stage are
        brought up to date. ``returning``: return ``(lead id, required, done or not
        applicable)`` of every line upserted, i.e. all the current lines of the leads.
        Items whose scope (teams, condition) excludes a lead are left out (``skipped``:
        those ``(lead id, item id)`` pairs when the caller has them).
        """
        Item = self.env["crm.stage.checklist.item"]
        # the statement reads the items' columns: pending item changes first (no query
        # when there is none)
        Item.flush_model(
            [
                "stage_id",
                "sequence",
                "kind",
                "required",
                "document_role",
                "active",
                "check_on",
                "owner_role",
                "owner_user_id",
            ]
        )
        self.env["crm.stage"].flush_model(["sequence"])
        self.env["crm.team"].flush_model(["user_id"])
        items_by_stage = Item._funnel_items_by_stage()
        only_ids = set(items.ids) if items is not None else None
        if items is not None:
            # every lead of the stages: read only the columns needed, in bulk
            fnames = items.filtered(lambda item: item.kind == "field").field_id.mapped("name")
            leads.fetch(["stage_id", "user_id", "team_id", *fnames])
        skip_leads, skip_items = [], []
        if skipped is None:
            skipped = self._funnel_skipped_pairs(leads, items)
        for lead_id, item_id in skipped:
            skip_leads.append(lead_id)
            skip_items.append(item_id)
        done_leads, done_items = [], []
        for lead in leads:
            for item in items_by_stage.get(lead.stage_id.id, ()):
                if (
                    item.kind == "field"
                    and (only_ids is None or item.id in only_ids)
                    and Item._funnel_field_set(lead, item.field_name)
                ):
                    done_leads.append(lead.id)
                    done_items.append(item.id)
        dl_leads, dl_items, dl_dates = self._funnel_deadlines(leads, only_ids)
        items_filter = SQL("")
        if only_ids is not None:
            items_filter = SQL("AND item.id = ANY(%s)", list(only_ids))
        return SQL(
            """
            INSERT INTO crm_lead_checklist_line (
                lead_id, item_id, stage_id, stage_sequence, sequence, kind, required,
                document_role, is_done, done_user_id, done_date, owner_id, deadline, approval_state,
                is_current_stage, create_uid, create_date, write_uid, write_date)
            SELECT lead.id, item.id, item.stage_id, stage.sequence, item.sequence,
                   item.kind, item.required, item.document_role,
                   done.lead_id IS NOT NULL,
                   CASE WHEN done.lead_id IS NOT NULL THEN %(uid)s END,
                   CASE WHEN done.lead_id IS NOT NULL THEN %(now)s END,
                   %(owner)s, deadline.day, 'none',
                   TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(ids)s::int[], %(stage_ids)s::int[], %(user_ids)s::int[],
                          %(team_ids)s::int[]) AS lead(id, stage_id, user_id, team_id)
              JOIN crm_stage_checklist_item item
                ON item.stage_id = lead.stage_id AND item.active AND item.check_on = 'exit'
              JOIN crm_stage stage ON stage.id = item.stage_id
         LEFT JOIN crm_team leader ON leader.id = lead.team_id
         LEFT JOIN unnest(%(dl_leads)s::int[], %(dl_items)s::int[], %(dl_dates)s::date[])
                   AS deadline(lead_id, item_id, day)
                ON deadline.lead_id = lead.id AND deadline.item_id = item.id
         LEFT JOIN unnest(%(done_leads)s::int[], %(done_items)s::int[])
                   AS done(lead_id, item_id)
                ON done.lead_id = lead.id AND done.item_id = item.id
         LEFT JOIN unnest(%(skip_leads)s::int[], %(skip_items)s::int[])
                   AS skip(lead_id, item_id)
                ON skip.lead_id = lead.id AND skip.item_id = item.id
             WHERE skip.lead_id IS NULL %(items_filter)s
                ON CONFLICT (lead_id, item_id) DO UPDATE
               SET is_current_stage = TRUE,
                   is_done = CASE WHEN crm_lead_checklist_line.kind = 'field'
                                  THEN EXCLUDED.is_done ELSE crm_lead_checklist_line.is_done END,
                   done_user_id = CASE WHEN crm_lead_checklist_line.kind = 'field'
                                       THEN EXCLUDED.done_user_id
                                       ELSE crm_lead_checklist_line.done_user_id END,
                   done_date = CASE WHEN crm_lead_checklist_line.kind = 'field'
                                    THEN EXCLUDED.done_date
                                    ELSE crm_lead_checklist_line.done_date END,
                   owner_id = CASE WHEN crm_lead_checklist_line.is_done
                                        OR crm_lead_checklist_line.not_applicable
                                   THEN crm_lead_checklist_line.owner_id
                                   ELSE EXCLUDED.owner_id END,
                   -- entering the stage again: a new deadline; already current: kept
                   deadline = CASE WHEN crm_lead_checklist_line.is_current_stage
                                   THEN crm_lead_checklist_line.deadline
                                   ELSE EXCLUDED.deadline END
            %(returning)s
            """,
            uid=self.env.uid,
            now=self.env.cr.now(),
            ids=leads.ids,
            stage_ids=[lead.stage_id.id or None for lead in leads],
            user_ids=[lead.user_id.id or None for lead in leads],
            team_ids=[lead.team_id.id or None for lead in leads],
            owner=self._funnel_owner_sql(),
            dl_leads=dl_leads,
            dl_items=dl_items,
            dl_dates=dl_dates,
            done_leads=done_leads,
            done_items=done_items,
            skip_leads=skip_leads,
            skip_items=skip_items,
            items_filter=items_filter,
            returning=SQL(
                "RETURNING crm_lead_checklist_line.lead_id, crm_lead_checklist_line.required, "
                "crm_lead_checklist_line.is_done OR crm_lead_checklist_line.not_applicable"
            )
            if returning
            else SQL(""),
        )

    @api.model
    def _funnel_skipped_pairs(self, leads, items=None):
        """``{(lead id, item id)}`` of the items of ``leads``' current stage (``items``
        only, when given) whose scope excludes the lead (teams, condition)."""
        items_by_stage = self.env["crm.stage.checklist.item"]._funnel_items_by_stage()
        only_ids = set(items.ids) if items is not None else None
        stage_items = {
            item
            for stage_id in set(leads.stage_id.ids)
            for item in items_by_stage.get(stage_id, ())
            if only_ids is None or item.id in only_ids
        }
        return self.env["crm.stage.checklist.item"]._funnel_inapplicable_pairs(leads, stage_items)

    @api.model
    def _funnel_upsert_current(self, leads, items=None):
        """Create the missing lines of ``leads``' current stage (``items`` only, when
        given); the lines of items whose scope no longer includes the lead stop being
        current (kept, with their evidence, should the item apply again)."""
        skipped = self._funnel_skipped_pairs(leads, items)
        statements = [self._funnel_upsert_current_sql(leads, items, skipped=skipped)]
        if skipped:
            statements.append(
                SQL(
                    """
                    UPDATE crm_lead_checklist_line line
                       SET is_current_stage = FALSE
                      FROM unnest(%(leads)s::int[], %(items)s::int[]) AS skip(lead_id, item_id)
                     WHERE line.lead_id = skip.lead_id AND line.item_id = skip.item_id
                       AND line.lead_id = ANY(%(leads)s) AND line.is_current_stage
                    """,
                    leads=[pair[0] for pair in skipped],
                    items=[pair[1] for pair in skipped],
                )
            )
        self.env.cr.execute(SQL(";").join(statements))
