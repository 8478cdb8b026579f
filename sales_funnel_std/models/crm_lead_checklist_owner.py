from odoo import _, api, fields, models
from odoo.exceptions import AccessError
from odoo.fields import Domain
from odoo.tools import SQL

# set by the system (stage entry, salesperson or team change, approval requests and
# decisions), never written by users, whatever the channel or context
OWNER_SYSTEM_FIELDS = {
    "owner_id",
    "deadline",
    "approval_state",
    "approval_note",
    "approval_requested_by_id",
    "approval_requested_date",
    "approval_decided_by_id",
    "approval_decided_date",
    "approval_comment",
}
OWNER_ACTIVITY_TYPE = "sales_funnel_std.mail_activity_type_checklist_item"


class CrmLeadChecklistLine(models.Model):
    _inherit = "crm.lead.checklist.line"

    # Who completes the line: the item's owner for this lead (the salesperson, the team
    # leader, a specific person); empty for a group's items (every member sees them in
    # "My Checklist Items"). Maintained set-based at stage entry and when the lead's
    # salesperson or team changes (crm.lead pipeline), not by an ORM compute: core's
    # bulk lead writes would pay a query per lead to find the lines.
    owner_id = fields.Many2one("res.users", readonly=True, index="btree_not_null")
    owner_role = fields.Selection(related="item_id.owner_role", string="Owner Role")
    owner_group_id = fields.Many2one(related="item_id.owner_group_id")
    deadline = fields.Date(
        readonly=True,
        help="The item must be done by this day: its deadline in working days after the "
        "lead entered the stage.",
    )
    is_overdue = fields.Boolean(
        "Overdue",
        compute="_compute_is_overdue",
        search="_search_is_overdue",
        help="Not done, not “not applicable”, and past its deadline.",
    )
    is_mine = fields.Boolean(
        "My Item",
        compute="_compute_is_mine",
        search="_search_is_mine",
        help="I own the item (or my group does), or I am asked to approve it.",
    )
    activity_ids = fields.One2many(
        "mail.activity", "funnel_checklist_line_id", "Activities", readonly=True
    )
    lead_user_id = fields.Many2one(related="lead_id.user_id", string="Salesperson")
    lead_team_id = fields.Many2one(related="lead_id.team_id", string="Sales Team")

    @api.depends("deadline", "is_done", "not_applicable")
    def _compute_is_overdue(self):
        today = fields.Date.context_today(self)
        for line in self:
            line.is_overdue = bool(
                line.deadline
                and line.deadline < today
                and not line.is_done
                and not line.not_applicable
            )

    def _search_is_overdue(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        overdue = Domain(
            [
                ("deadline", "<", fields.Date.context_today(self)),
                ("is_done", "=", False),
                ("not_applicable", "=", False),
            ]
        )
        return overdue if operator == "in" else ~overdue

    @api.depends("owner_id", "approval_state")
    @api.depends_context("uid")
    def _compute_is_mine(self):
        mine = self.filtered_domain(self._funnel_mine_domain())
        for line in self:
            line.is_mine = line in mine

    def _search_is_mine(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        domain = self._funnel_mine_domain()
        return domain if operator == "in" else ~domain

    @api.model
    def _funnel_mine_domain(self):
        """The lines the current user owns (or their group does), or is asked to approve."""
        user = self.env.user
        return (
            Domain("owner_id", "=", user.id)
            | Domain("item_id.owner_group_id", "in", user.all_group_ids.ids)
            | self._funnel_awaiting_approval_domain(user)
        )

    def action_mark_done(self):
        """Tick confirmation lines done (the "Done" button of "My Checklist Items")."""
        self.write({"is_done": True})
        return True

    # ------------------------------------------------------------
    # WRITE STEPS (called by crm.lead.checklist.line.write)
    # ------------------------------------------------------------

    def _funnel_check_system_fields(self, vals):
        """Owner, deadline and approval fields are the system's: refused to users."""
        if not self.env.su and OWNER_SYSTEM_FIELDS & set(vals):
            raise AccessError(
                _(
                    "The owner, deadline and approval of a checklist item are set by the "
                    "system: request, approve or reject with the buttons."
                )
            )

    # ------------------------------------------------------------
    # STAGE ENTRY (set-based; the lines upsert reads these)
    # ------------------------------------------------------------

    @api.model
    def _funnel_owner_sql(self):
        """The owner of an upserted line (statement aliases: ``item``, ``lead`` with
        ``user_id``, ``leader`` the team's leader): the salesperson, the team leader (the
        salesperson when the team has none), the item's person, nobody for a group."""
        return SQL(
            """CASE item.owner_role
                    WHEN 'user' THEN item.owner_user_id
                    WHEN 'group' THEN NULL
                    WHEN 'team_leader' THEN COALESCE(leader.user_id, lead.user_id)
                    ELSE lead.user_id END"""
        )

    @api.model
    def _funnel_deadlines(self, leads, only_ids=None):
        """``([lead id], [item id], [deadline])`` of the lines of ``leads``' current
        stage whose item has a deadline (``only_ids``: those items only): the n-th working
        day after today on the lead's company calendar. No query when no item of these
        stages has a deadline; one calendar read per calendar otherwise."""
        config = self.env["crm.stage.checklist.item"]._funnel_owner_config()
        days_by_item = {
            item_id: days
            for item_id, (_role, _user, days) in config.items()
            if days and (only_ids is None or item_id in only_ids)
        }
        if not days_by_item:
            return [], [], []
        items_by_stage = self.env["crm.stage.checklist.item"]._funnel_items_by_stage()
        pairs = [
            (lead, item.id)
            for lead in leads
            for item in items_by_stage.get(lead.stage_id.id, ())
            if item.id in days_by_item
        ]
        if not pairs:
            return [], [], []
        now = fields.Datetime.now()
        Policy = self.env["crm.grade.policy"]
        main_company = self.env["crm.lead"]._bndu_default_company()
        by_calendar = {}
        for lead, item_id in pairs:
            calendar = (lead.company_id or main_company).resource_calendar_id
            by_calendar.setdefault(calendar, []).append((lead, item_id))
        result = ([], [], [])
        for calendar, cal_pairs in by_calendar.items():
            count = max(days_by_item[item_id] for _lead, item_id in cal_pairs)
            days = Policy._working_days(calendar, now, count)
            for lead, item_id in cal_pairs:
                day, _end = days[min(days_by_item[item_id], len(days)) - 1]
                result[0].append(lead.id)
                result[1].append(item_id)
                result[2].append(day)
        return result

    # ------------------------------------------------------------
    # OWNER ACTIVITIES
    # ------------------------------------------------------------

    @api.model
    def _funnel_owned_item_ids(self):
        """Ids of the active items owned by someone other than the salesperson (cached)."""
        config = self.env["crm.stage.checklist.item"]._funnel_owner_config()
        return {
            item_id for item_id, (role, _user, _days) in config.items() if role != "salesperson"
        }

    @api.model
    def _funnel_sync_owner_activities_of_leads(self, leads):
        """The owner activities of ``leads``' lines follow the lines (see
        ``_funnel_sync_owner_activities``). No query when no item has an owner other
        than the salesperson."""
        item_ids = self._funnel_owned_item_ids()
        if not leads or not item_ids:
            return
        # sudo: system bookkeeping of the to-dos of lines of leads the user just wrote
        lines = self.sudo().search(
            [("lead_id", "in", leads.ids), ("item_id", "in", list(item_ids))]
        )
        lines._funnel_sync_owner_activities()

    def _funnel_activity_vals(self, type_xmlid, user, summary, note=False, deadline=False):
        """Values of an activity of ``type_xmlid`` for ``user`` on the lead of this line,
        linked to the line (due ``deadline``, else today)."""
        self.ensure_one()
        return {
            "res_model_id": self.env["ir.model"]._get_id("crm.lead"),
            "res_id": self.lead_id.id,
            "activity_type_id": self.env["ir.model.data"]._xmlid_to_res_id(type_xmlid),
            "summary": summary,
            "note": note,
            "date_deadline": deadline or fields.Date.context_today(self),
            "user_id": user.id,
            "funnel_checklist_line_id": self.id,
        }

    def _funnel_sync_owner_activities(self):
        """One open activity for the owner of each open line of the current stage (items
        owned by the team leader or a specific person: the salesperson has the lead's
        checklist, a group's members their "My Checklist Items"); the activity follows a
        new owner, is marked done when the line is done and removed when the line is
        not applicable or no longer current."""
        type_id = self.env["ir.model.data"]._xmlid_to_res_id(OWNER_ACTIVITY_TYPE)
        # sudo: activities assigned by the system to the lines' owners
        lines = self.sudo()
        activities = lines.activity_ids.filtered(lambda act: act.activity_type_id.id == type_id)
        by_line = {}
        for activity in activities:
            by_line.setdefault(activity.funnel_checklist_line_id.id, activity)
        to_create, to_done, to_unlink = [], activities.browse(), activities.browse()
        reassign = {}
        for line in lines:
            activity = by_line.get(line.id)
            wanted = (
                line.owner_role in ("team_leader", "user")
                and line.owner_id
                and line.is_current_stage
                and not line.is_done
                and not line.not_applicable
            )
            if wanted and not activity:
                to_create.append(
                    dict(
                        line._funnel_activity_vals(
                            OWNER_ACTIVITY_TYPE,
                            line.owner_id,
                            line.name,
                            note=line.guidance,
                            deadline=line.deadline,
                        ),
                        automated=True,
                    )
                )
            elif wanted and activity.user_id != line.owner_id:
                reassign.setdefault(line.owner_id.id, activities.browse())
                reassign[line.owner_id.id] |= activity
            elif not wanted and activity:
                if line.is_done:
                    to_done |= activity
                else:
                    to_unlink |= activity
        if to_create:
            # no "assigned to you" e-mail per line: the activity is in the owner's to-dos
            self.env["mail.activity"].sudo().with_context(mail_activity_quick_update=True).create(
                to_create
            )
        for user_id, user_activities in reassign.items():
            user_activities.with_context(mail_activity_quick_update=True).write(
                {"user_id": user_id}
            )
        if to_done:
            to_done.action_feedback()
        if to_unlink:
            to_unlink.unlink()
