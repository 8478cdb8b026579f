from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import frozendict

OWNER_ROLES = [
    ("salesperson", "Salesperson"),
    ("team_leader", "Team Leader"),
    ("user", "Specific Person"),
    ("group", "Group"),
]
APPROVER_ROLES = [
    ("team_leader", "Team Leader"),
    ("group", "Group"),
]
# Who may own a line or approve a request must be able to read the leads it is on:
# CRM's "own documents only" salesmen see only their own leads, so owners and approvers
# other than the salesperson must see every lead ("All Documents", or sales manager)
ALL_LEADS_GROUP = "sales_team.group_sale_salesman_all_leads"


class CrmStageChecklistItem(models.Model):
    _inherit = "crm.stage.checklist.item"

    owner_role = fields.Selection(
        OWNER_ROLES,
        "Owner",
        required=True,
        default="salesperson",
        help="Who completes the item: the lead's salesperson, the leader of the lead's "
        "team, a specific person or a group (pre-sales, legal...). An owner other than "
        "the salesperson gets an activity when the lead enters the stage; a group's "
        "items show in the “My Checklist Items” of every member.",
    )
    owner_user_id = fields.Many2one(
        "res.users",
        "Owner Person",
        domain=[("share", "=", False)],
        help="The person who completes the item on every lead (must see all leads).",
    )
    owner_group_id = fields.Many2one(
        "res.groups",
        help="The group whose members complete the item (they must see all leads).",
    )
    deadline_days = fields.Integer(
        "Deadline (Working Days)",
        help="Working days after the lead enters the stage (company working calendar, "
        "public holidays excluded) by which the item must be done; 0: no deadline.",
    )
    approver_role = fields.Selection(
        APPROVER_ROLES,
        "Approver",
        default="team_leader",
        help="Approval items: who approves or rejects the salesperson's request, the "
        "leader of the lead's team or the members of a group. A sales manager can "
        "always approve directly.",
    )
    approver_group_id = fields.Many2one(
        "res.groups",
        help="Approval items: the group whose members approve the requests.",
    )

    _deadline_days_positive = models.Constraint(
        "CHECK(deadline_days >= 0)",
        "The deadline of a checklist item is a number of working days, 0 or more.",
    )

    @api.constrains(
        "owner_role",
        "owner_user_id",
        "owner_group_id",
        "approver_role",
        "approver_group_id",
        "kind",
        "team_ids",
    )
    def _check_owner_config(self):
        for item in self:
            if item.owner_role == "user" and not item.owner_user_id:
                raise ValidationError(
                    _("Choose the person who owns the checklist item “%(item)s”.", item=item.name)
                )
            if item.owner_role == "group" and not item.owner_group_id:
                raise ValidationError(
                    _("Choose the group that owns the checklist item “%(item)s”.", item=item.name)
                )
            owners = self.env["res.users"]
            if item.owner_role == "user":
                owners = item.owner_user_id
            elif item.owner_role == "group":
                owners = item._funnel_group_users(item.owner_group_id)
                if not owners:
                    raise ValidationError(
                        _(
                            "The group “%(group)s” that owns the checklist item “%(item)s” "
                            "has no users.",
                            group=item.owner_group_id.display_name,
                            item=item.name,
                        )
                    )
            elif item.owner_role == "team_leader":
                owners = item._funnel_team_leaders()
            item._funnel_check_lead_access(owners)
            if item.kind != "approval":
                continue
            if item.approver_role == "group":
                if not item.approver_group_id:
                    raise ValidationError(
                        _(
                            "Choose the group that approves the checklist item “%(item)s”.",
                            item=item.name,
                        )
                    )
                approvers = item._funnel_group_users(item.approver_group_id)
                if not approvers:
                    raise ValidationError(
                        _(
                            "The group “%(group)s” that approves the checklist item "
                            "“%(item)s” has no users.",
                            group=item.approver_group_id.display_name,
                            item=item.name,
                        )
                    )
                item._funnel_check_lead_access(approvers, approver=True)
            elif item.approver_role == "team_leader":
                item._funnel_check_lead_access(item._funnel_team_leaders(), approver=True)

    @api.model
    def _funnel_group_users(self, group):
        """The active internal users of ``group`` (implied groups included)."""
        # sudo: the members of a group, to check the configuration
        return group.sudo().all_user_ids.filtered(lambda user: user.active and not user.share)

    def _funnel_team_leaders(self):
        """The leaders of the teams the item applies to (every team when unscoped)."""
        self.ensure_one()
        # sudo: the teams' leaders, to check the configuration
        teams = self.team_ids.sudo() or self.env["crm.team"].sudo().search([])
        return teams.user_id

    def _funnel_check_lead_access(self, users, approver=False):
        """Refuse owners or approvers who cannot read every lead (bad configuration)."""
        self.ensure_one()
        blind = users.filtered(lambda user: not user.has_group(ALL_LEADS_GROUP))
        if not blind:
            return
        if approver:
            message = _(
                "%(users)s cannot approve the checklist item “%(item)s”: they do not see "
                "all leads. Give them the sales access “All Documents” or choose someone "
                "else.",
                users=", ".join(blind.mapped("name")),
                item=self.name,
            )
        else:
            message = _(
                "%(users)s cannot own the checklist item “%(item)s”: they do not see all "
                "leads. Give them the sales access “All Documents” or choose someone else.",
                users=", ".join(blind.mapped("name")),
                item=self.name,
            )
        raise ValidationError(message)

    def _funnel_owner_changed(self):
        """The owner of items changed: the open lines of the leads in their stage follow
        (their deadline is kept: it was set when the lead entered the stage), and so do
        the owners' activities."""
        self._funnel_add_lines_to_current_leads()
        # sudo: the lines of every lead follow their item, whoever can see them
        self.env["crm.lead.checklist.line"].sudo().search(
            [("item_id", "in", self.ids), ("is_current_stage", "=", True)]
        )._funnel_sync_owner_activities()

    # ------------------------------------------------------------
    # CACHE
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _funnel_owner_config(self):
        """``{item id: (owner role, owner user id, deadline days)}`` of the active items
        whose lines have an owner other than the salesperson or a deadline; cached
        registry-wide (any item change clears it). Empty: no query at stage entry."""
        # sudo: checklist configuration, no user data
        items = self.sudo().search(
            [
                ("active", "=", True),
                "|",
                ("owner_role", "!=", "salesperson"),
                ("deadline_days", ">", 0),
            ]
        )
        return frozendict(
            {
                item.id: (item.owner_role, item.owner_user_id.id, item.deadline_days)
                for item in items
            }
        )
