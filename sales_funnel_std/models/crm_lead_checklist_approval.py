from markupsafe import Markup

from odoo import _, api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Domain

APPROVAL_STATES = [
    ("none", "Not Requested"),
    ("requested", "Requested"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
]
MANAGER_GROUP = "sales_team.group_sale_manager"
APPROVAL_ACTIVITY_TYPE = "sales_funnel_std.mail_activity_type_checklist_approval"
REJECTED_ACTIVITY_TYPE = "sales_funnel_std.mail_activity_type_checklist_rejected"


class CrmLeadChecklistLine(models.Model):
    _inherit = "crm.lead.checklist.line"

    # Approval items: the salesperson requests, an approver (the team's leader or the
    # item's group; a sales manager always) approves or rejects. All set by the methods
    # below, never written by users (crm_lead_checklist_owner.OWNER_SYSTEM_FIELDS).
    approval_state = fields.Selection(
        APPROVAL_STATES, "Approval", default="none", required=True, readonly=True, copy=False
    )
    approval_note = fields.Text("Request Note", readonly=True, copy=False)
    approval_requested_by_id = fields.Many2one(
        "res.users", "Requested By", readonly=True, copy=False
    )
    approval_requested_date = fields.Datetime("Requested On", readonly=True, copy=False)
    approval_decided_by_id = fields.Many2one("res.users", "Decided By", readonly=True, copy=False)
    approval_decided_date = fields.Datetime("Decided On", readonly=True, copy=False)
    approval_comment = fields.Text("Approver's Comment", readonly=True, copy=False)
    can_approve = fields.Boolean(
        compute="_compute_can_approve",
        help="The current user may approve or reject this request.",
    )

    awaiting_my_approval = fields.Boolean(
        compute="_compute_can_approve",
        search="_search_awaiting_my_approval",
    )

    def _search_awaiting_my_approval(self, operator, value):
        if operator not in ("in", "not in"):
            return NotImplemented
        domain = self._funnel_awaiting_approval_domain(self.env.user)
        return domain if operator == "in" else ~domain

    @api.depends("approval_state", "approval_requested_by_id", "kind")
    @api.depends_context("uid")
    def _compute_can_approve(self):
        user = self.env.user
        is_manager = user.has_group(MANAGER_GROUP)
        for line in self:
            line.can_approve = bool(
                line.kind == "approval"
                and line.approval_state == "requested"
                and line.approval_requested_by_id != user
                and (is_manager or line._funnel_is_approver(user))
            )
            line.awaiting_my_approval = bool(
                line.approval_state == "requested" and line._funnel_is_approver(user)
            )

    @api.model
    def _funnel_awaiting_approval_domain(self, user):
        """The approval requests ``user`` is asked to decide (team leader or group)."""
        return Domain("approval_state", "=", "requested") & (
            (
                Domain("item_id.approver_role", "=", "team_leader")
                & Domain("lead_id.team_id.user_id", "=", user.id)
            )
            | (
                Domain("item_id.approver_role", "=", "group")
                & Domain("item_id.approver_group_id", "in", user.all_group_ids.ids)
            )
        )

    def _funnel_is_approver(self, user):
        """Is ``user`` an approver of this line (the team's leader, or in the group)."""
        self.ensure_one()
        # sudo: the item's approvers and the lead's team leader, for the check only
        item, lead = self.item_id.sudo(), self.lead_id.sudo()
        if item.approver_role == "group":
            return bool(item.approver_group_id) and item.approver_group_id in user.all_group_ids
        return bool(lead.team_id.user_id) and lead.team_id.user_id == user

    def _funnel_approvers(self):
        """The users asked to decide this line's request."""
        self.ensure_one()
        # sudo: who approves, to schedule their activity
        item, lead = self.item_id.sudo(), self.lead_id.sudo()
        if item.approver_role == "group":
            users = item._funnel_group_users(item.approver_group_id)
            company = lead.company_id
            return users.filtered(lambda user: not company or company in user.company_ids)
        return lead.team_id.user_id

    # ------------------------------------------------------------
    # CHECKS
    # ------------------------------------------------------------

    def _funnel_check_direct_approval(self, done):
        """A tick of an approval line is a sales manager's direct decision (not on their
        own request); everybody else requests, and approvers use Approve / Reject."""
        self.ensure_one()
        if not self.env.user.has_group(MANAGER_GROUP):
            raise AccessError(
                _(
                    "Only a sales manager can tick “%(item)s”: request the approval instead.",
                    item=self.name,
                )
            )
        if done and self._funnel_own_request():
            raise AccessError(
                _("You cannot approve your own request for “%(item)s”.", item=self.name)
            )

    def _funnel_own_request(self):
        return self.approval_state == "requested" and self.approval_requested_by_id == self.env.user

    def _funnel_check_approver(self):
        """Raise unless the current user may decide every line of ``self``: a pending
        request they did not make, and they are its approver; a sales manager may also
        decide without a request."""
        user = self.env.user
        is_manager = user.has_group(MANAGER_GROUP)
        self.check_access("read")
        for line in self:
            if line.kind != "approval":
                raise UserError(_("“%(item)s” is not an approval item.", item=line.name))
            if line._funnel_own_request():
                raise AccessError(
                    _("You cannot approve your own request for “%(item)s”.", item=line.name)
                )
            if is_manager:
                continue
            if not line._funnel_is_approver(user):
                raise AccessError(
                    _(
                        "You are not an approver of “%(item)s” on %(lead)s.",
                        item=line.name,
                        lead=line.lead_id.display_name,
                    )
                )
            if line.approval_state != "requested":
                raise UserError(
                    _(
                        "“%(item)s” on %(lead)s has no approval request waiting.",
                        item=line.name,
                        lead=line.lead_id.display_name,
                    )
                )

    # ------------------------------------------------------------
    # ACTIONS (buttons; the checklist widget calls them with the line ids)
    # ------------------------------------------------------------

    def action_request_approval(self):
        """The request dialog: a note and attachments for the approvers."""
        self._funnel_check_can_request()
        return self._funnel_approval_wizard(_("Request Approval"), "request")

    def action_approve(self):
        """Approve without a comment."""
        self._funnel_decide(approve=True)
        return True

    def action_approve_with_comment(self):
        """The approval dialog, with a comment."""
        self._funnel_check_approver()
        return self._funnel_approval_wizard(_("Approve"), "approve")

    def action_reject(self):
        """The rejection dialog: a comment is required."""
        self._funnel_check_approver()
        return self._funnel_approval_wizard(_("Reject"), "reject")

    def action_open_lead(self):
        """Open the line's lead (from "My Checklist Items")."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.lead_id.id,
            "view_mode": "form",
            "views": [[False, "form"]],
        }

    def _funnel_approval_wizard(self, name, mode):
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "crm.lead.checklist.approval",
            "view_mode": "form",
            "views": [[False, "form"]],
            "target": "new",
            "context": {"default_line_ids": self.ids, "default_mode": mode},
        }

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _funnel_check_can_request(self):
        """Requests: open approval lines of leads the user may write, with an approver."""
        self.check_access("write")
        self.lead_id.check_access("write")
        for line in self:
            if line.kind != "approval":
                raise UserError(_("“%(item)s” is not an approval item.", item=line.name))
            if line.is_done or line.not_applicable or line.approval_state == "requested":
                raise UserError(
                    _(
                        "“%(item)s” on %(lead)s is already approved, not applicable or "
                        "waiting for a decision.",
                        item=line.name,
                        lead=line.lead_id.display_name,
                    )
                )
            if not line._funnel_approvers():
                raise UserError(
                    _(
                        "Nobody can approve “%(item)s” on %(lead)s: the sales team has no "
                        "leader (or the approver group no user). Ask a sales manager.",
                        item=line.name,
                        lead=line.lead_id.display_name,
                    )
                )

    def _funnel_request_approval(self, note, attachments=None):
        """Request the approval of these lines: logged, approvers get an activity."""
        self._funnel_check_can_request()
        attachments = attachments or self.env["ir.attachment"]
        if attachments:
            attachments.check_access("read")
        now = fields.Datetime.now()
        # sudo: system fields, written after the checks above
        self.sudo().write(
            {
                "approval_state": "requested",
                "approval_note": (note or "").strip() or False,
                "approval_requested_by_id": self.env.uid,
                "approval_requested_date": now,
                "approval_decided_by_id": False,
                "approval_decided_date": False,
                "approval_comment": False,
            }
        )
        if attachments:
            self.write({"attachment_ids": [(4, attachment.id) for attachment in attachments]})
        self._funnel_close_activities(REJECTED_ACTIVITY_TYPE)
        vals_list = [
            line._funnel_activity_vals(
                APPROVAL_ACTIVITY_TYPE,
                approver,
                self.env._("Approve: %(item)s", item=line.name),
                note=line.approval_note,
                deadline=line.deadline,
            )
            for line in self
            for approver in line._funnel_approvers()
        ]
        # sudo: the requester schedules their approvers' to-dos on their own lead
        self.env["mail.activity"].sudo().create(vals_list)
        self._funnel_log_approval(
            lambda line: self.env._(
                "Approval of “%(item)s” requested by %(user)s. %(note)s",
                item=line.name,
                user=self.env.user.name,
                note=line.approval_note or "",
            )
        )

    def _funnel_decide(self, approve, comment=None):
        """Approve or reject (comment required) these lines as their approver."""
        self._funnel_check_approver()
        comment = (comment or "").strip()
        if not approve and not comment:
            raise ValidationError(_("Say why the approval is rejected: the comment is required."))
        requesters = {line.id: line.approval_requested_by_id for line in self}
        now = fields.Datetime.now()
        # sudo: the decision of a checked approver (system fields, and is_done that only
        # a sales manager may tick by hand)
        self.sudo().write(
            {
                "approval_state": "approved" if approve else "rejected",
                "approval_decided_by_id": self.env.uid,
                "approval_decided_date": now,
                "approval_comment": comment or False,
                "is_done": approve,
            }
        )
        self._funnel_close_activities(APPROVAL_ACTIVITY_TYPE, comment)
        if approve:
            self._funnel_log_approval(
                lambda line: self.env._(
                    "“%(item)s” approved by %(user)s. %(comment)s",
                    item=line.name,
                    user=self.env.user.name,
                    comment=comment,
                )
            )
            return
        vals_list = [
            line._funnel_activity_vals(
                REJECTED_ACTIVITY_TYPE,
                requesters[line.id],
                self.env._("Approval rejected: %(item)s", item=line.name),
                note=comment,
            )
            for line in self
            if requesters[line.id]
        ]
        # sudo: the approver notifies the requester on a lead the approver may only read
        self.env["mail.activity"].sudo().create(vals_list)
        self._funnel_log_approval(
            lambda line: self.env._(
                "“%(item)s” rejected by %(user)s: %(comment)s",
                item=line.name,
                user=self.env.user.name,
                comment=comment,
            )
        )

    def _funnel_direct_decision(self):
        """A sales manager ticked (approved) or unticked approval lines by hand."""
        if not self:
            return
        approved = self.filtered("is_done")
        now = fields.Datetime.now()
        # sudo: system fields, after the manager check of the tick
        if approved:
            approved.sudo().write(
                {
                    "approval_state": "approved",
                    "approval_decided_by_id": self.env.uid,
                    "approval_decided_date": now,
                }
            )
            approved._funnel_close_activities(APPROVAL_ACTIVITY_TYPE)
        reopened = self - approved
        if reopened:
            reopened.sudo().write(
                {
                    "approval_state": "none",
                    "approval_decided_by_id": False,
                    "approval_decided_date": False,
                    "approval_comment": False,
                }
            )
        self._funnel_log_approval(
            lambda line: (
                self.env._(
                    "“%(item)s” approved by %(user)s.", item=line.name, user=self.env.user.name
                )
                if line.is_done
                else self.env._(
                    "Approval of “%(item)s” withdrawn by %(user)s.",
                    item=line.name,
                    user=self.env.user.name,
                )
            )
        )

    def _funnel_close_activities(self, xmlid, feedback=None):
        """Mark done the open activities of ``xmlid``'s type linked to these lines."""
        type_id = self.env["ir.model.data"]._xmlid_to_res_id(xmlid)
        # sudo: the system's activities of these lines, whoever they were assigned to
        activities = self.sudo().activity_ids.filtered(
            lambda act: act.activity_type_id.id == type_id
        )
        if activities:
            activities.action_feedback(feedback=feedback or False)

    def _funnel_log_approval(self, text):
        """Log a request or a decision (``text(line)``) in the leads' chatter."""
        bodies = {}
        for line in self:
            body = Markup("<p>%s</p>") % text(line).strip()
            bodies[line.lead_id.id] = bodies.get(line.lead_id.id, Markup()) + body
        # sudo: an approver may only read the lead; the log is the system's
        self.env["crm.lead"].sudo().browse(bodies)._message_log_batch(bodies=bodies)
