from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import SQL

from .crm_stage_checklist_item import ITEM_KINDS

# structural fields: set by the system from the stage items, never by users
PROTECTED_FIELDS = {"lead_id", "item_id", "stage_id", "kind", "required", "company_id"}


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
    # not stored: a stored copy would cost core's bulk lead writes (assignment) one query
    # per lead to find the lines to recompute; the record rule goes through the lead
    company_id = fields.Many2one(related="lead_id.company_id")

    _lead_item_unique = models.UniqueIndex("(lead_id, item_id)")

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
        return lines

    def write(self, vals):
        if not self.env.su and PROTECTED_FIELDS & set(vals):
            raise UserError(_("The stage, item and lead of a checklist line cannot be changed."))
        if "is_done" in vals and not self.env.su:
            self._funnel_check_manual_tick(bool(vals["is_done"]))
        if vals.get("is_done"):
            vals = dict(vals, done_user_id=self.env.uid, done_date=fields.Datetime.now())
        elif "is_done" in vals:
            vals = dict(vals, done_user_id=False, done_date=False)
        res = super().write(vals)
        if "attachment_ids" in vals:
            self._funnel_link_attachments()
        if {"attachment_ids", "confirmed_partner_id", "confirmed_date"} & set(vals):
            self._funnel_refresh_done()
        return res

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

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
            if line.kind == "approval" and not self.env.user.has_group(
                "sales_team.group_sale_manager"
            ):
                raise AccessError(_("Only a sales manager can approve “%(item)s”.", item=line.name))

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
    def _funnel_upsert_current_sql(self, leads, items=None, returning=False):
        """Upsert of the checklist lines of ``leads``' current stage (``items`` only,
        when given), whatever the number of leads; they are the current ones.

        Field items are evaluated here on the leads and their lines are inserted
        done; the field lines a lead kept from an earlier stay in the stage are
        brought up to date. ``returning``: return ``(lead id, required, is_done)`` of
        every line upserted, i.e. all the current lines of the leads.
        """
        Item = self.env["crm.stage.checklist.item"]
        # the statement reads the items' columns: pending item changes first (no query
        # when there is none)
        Item.flush_model(["stage_id", "sequence", "kind", "required", "document_role", "active"])
        self.env["crm.stage"].flush_model(["sequence"])
        items_by_stage = Item._funnel_items_by_stage()
        only_ids = set(items.ids) if items is not None else None
        if items is not None:
            # every lead of the stages: read only the columns needed, in bulk
            fnames = items.filtered(lambda item: item.kind == "field").field_id.mapped("name")
            leads.fetch(["stage_id", *fnames])
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
        items_filter = SQL("")
        if only_ids is not None:
            items_filter = SQL("AND item.id = ANY(%s)", list(only_ids))
        return SQL(
            """
            INSERT INTO crm_lead_checklist_line (
                lead_id, item_id, stage_id, stage_sequence, sequence, kind, required,
                document_role, is_done, done_user_id, done_date,
                is_current_stage, create_uid, create_date, write_uid, write_date)
            SELECT lead.id, item.id, item.stage_id, stage.sequence, item.sequence,
                   item.kind, item.required, item.document_role,
                   done.lead_id IS NOT NULL,
                   CASE WHEN done.lead_id IS NOT NULL THEN %(uid)s END,
                   CASE WHEN done.lead_id IS NOT NULL THEN %(now)s END,
                   TRUE, %(uid)s, %(now)s, %(uid)s, %(now)s
              FROM unnest(%(ids)s::int[], %(stage_ids)s::int[]) AS lead(id, stage_id)
              JOIN crm_stage_checklist_item item
                ON item.stage_id = lead.stage_id AND item.active
              JOIN crm_stage stage ON stage.id = item.stage_id
         LEFT JOIN unnest(%(done_leads)s::int[], %(done_items)s::int[])
                   AS done(lead_id, item_id)
                ON done.lead_id = lead.id AND done.item_id = item.id
             WHERE TRUE %(items_filter)s
                ON CONFLICT (lead_id, item_id) DO UPDATE
               SET is_current_stage = TRUE,
                   is_done = CASE WHEN crm_lead_checklist_line.kind = 'field'
                                  THEN EXCLUDED.is_done ELSE crm_lead_checklist_line.is_done END,
                   done_user_id = CASE WHEN crm_lead_checklist_line.kind = 'field'
                                       THEN EXCLUDED.done_user_id
                                       ELSE crm_lead_checklist_line.done_user_id END,
                   done_date = CASE WHEN crm_lead_checklist_line.kind = 'field'
                                    THEN EXCLUDED.done_date
                                    ELSE crm_lead_checklist_line.done_date END
            %(returning)s
            """,
            uid=self.env.uid,
            now=self.env.cr.now(),
            ids=leads.ids,
            stage_ids=[lead.stage_id.id or None for lead in leads],
            done_leads=done_leads,
            done_items=done_items,
            items_filter=items_filter,
            returning=SQL(
                "RETURNING crm_lead_checklist_line.lead_id, crm_lead_checklist_line.required, "
                "crm_lead_checklist_line.is_done"
            )
            if returning
            else SQL(""),
        )

    @api.model
    def _funnel_upsert_current(self, leads, items=None):
        """Create the missing lines of ``leads``' current stage (``items`` only, when given)."""
        self.env.cr.execute(self._funnel_upsert_current_sql(leads, items))
