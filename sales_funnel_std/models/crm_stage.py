from collections import namedtuple

from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

# Stage fields the gate's cached pipeline order depends on (see _funnel_stage_order)
ORDER_FIELDS = (
    "sequence",
    "team_ids",
    "is_won",
    "active",
    "required_for_won",
    "fold_into_id",
    "funnel_no_backward",
    "funnel_no_skip",
    "funnel_exit_group_id",
)
# An active stage as cached for the gate, in pipeline order (see _funnel_stage_order)
FunnelStage = namedtuple(
    "FunnelStage",
    "id sequence team_ids required_for_won is_won no_backward no_skip exit_group_id",
)
# Odoo's default stages folded into the standard ones on a fresh database (install)
CRM_DEFAULT_STAGE_ROLES = {
    "crm.stage_lead1": "acquisition",
    "crm.stage_lead2": "qualification",
    "crm.stage_lead3": "proposal",
}

FUNNEL_ROLES = [
    ("acquisition", "Lead acquisition"),
    ("qualification", "Qualification"),
    ("discovery", "Need discovery"),
    ("proposal", "Solution & proposal"),
    ("negotiation", "Negotiation"),
    ("won", "Won"),
]


class CrmStage(models.Model):
    _inherit = "crm.stage"

    active = fields.Boolean(
        default=True,
        help="Archived stages leave the pipeline; their history is kept.",
    )
    funnel_role = fields.Selection(
        FUNNEL_ROLES,
        index=True,
        copy=False,
        help="Place of this stage in the standard sales funnel (empty: not part of it).",
    )
    fold_into_id = fields.Many2one(
        "crm.stage",
        "Folded Into",
        domain=[("funnel_role", "!=", False)],
        copy=False,
        help="An archived stage replaced by this standard stage (Apply the Standard Funnel): "
        "a lead put into the archived stage goes to this one.",
    )
    checklist_item_ids = fields.One2many(
        "crm.stage.checklist.item", "stage_id", string="Checklist", copy=True
    )
    checklist_item_count = fields.Integer(compute="_compute_checklist_item_count")
    required_for_won = fields.Boolean(
        "Required Before Won",
        default=True,
        help="The required checklist items of this stage must be done before a lead "
        "is marked won, even when the lead skipped this stage.",
    )

    # Pipeline rules (enforced with the gate on the leads of adopted teams)
    funnel_no_backward = fields.Boolean(
        "No Moving Back Into",
        help="A lead in a later stage cannot be moved back into this stage.",
    )
    funnel_no_skip = fields.Boolean(
        "Cannot Be Skipped",
        help="A lead moving forward cannot jump over this stage: it must pass through it.",
    )
    funnel_exit_group_id = fields.Many2one(
        "res.groups",
        "Who May Move Leads Out",
        ondelete="restrict",
        help="Only members of this group can move a lead out of this stage (empty: anyone). "
        "Sales managers can force the move with a reason.",
    )

    funnel_probability = fields.Integer(
        "Default Probability (%)",
        help="Probability of winning an opportunity in this stage, used by the forecast "
        "when the company weighs it by stage rather than by each opportunity's own "
        "probability (CRM settings). 0: the opportunity's own.",
    )

    @api.constrains("funnel_probability")
    def _check_funnel_probability(self):
        for stage in self:
            if not 0 <= stage.funnel_probability <= 100:
                raise ValidationError(
                    _(
                        "The default probability of the stage %(stage)s must be between 0 "
                        "and 100 %% (got %(probability)s).",
                        stage=stage.name,
                        probability=stage.funnel_probability,
                    )
                )

    @api.constrains("funnel_exit_group_id")
    def _check_funnel_exit_group(self):
        """A stage only an empty group may leave would hold its leads for ever."""
        for stage in self:
            group = stage.funnel_exit_group_id
            # sudo: counts the group's users, a configuration check; nothing is returned
            if group and not group.sudo().all_user_ids.filtered(
                lambda user: user.active and not user.share
            ):
                raise ValidationError(
                    _(
                        "Only members of the group %(group)s could move leads out of the "
                        "stage %(stage)s, but the group has no active internal user: no lead "
                        "could ever leave the stage. Choose a group with users or leave it "
                        "empty.",
                        group=group.display_name,
                        stage=stage.name,
                    )
                )

    @api.constrains("rotting_threshold_days", "funnel_role")
    def _check_time_limit(self):
        """A standard stage's time limit (Odoo's rotting threshold) is days, 0 = none."""
        for stage in self:
            if stage.funnel_role and stage.rotting_threshold_days < 0:
                raise ValidationError(
                    _(
                        "The time limit of the stage %(stage)s cannot be negative "
                        "(got %(days)s days; 0 means no limit).",
                        stage=stage.name,
                        days=stage.rotting_threshold_days,
                    )
                )

    @api.depends("checklist_item_ids")
    def _compute_checklist_item_count(self):
        for stage in self:
            stage.checklist_item_count = len(stage.checklist_item_ids)

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    def _funnel_setup_won_stage(self):
        """Give the ``won`` role to the existing won stage, or create one (install only).

        A database that already has an ``is_won`` stage keeps it (not renamed, not
        re-ordered): it simply becomes the standard funnel's won stage, so that the
        pipeline never shows two won columns. The shared one (no team) is preferred.
        """
        if self.search_count([("funnel_role", "=", "won")]):
            return
        won_stages = self.search([("is_won", "=", True)], order="sequence, id")
        stage = won_stages.filtered(lambda s: not s.team_ids)[:1] or won_stages[:1]
        if stage:
            stage.funnel_role = "won"
        else:
            self.create({"name": "Won", "sequence": 70, "is_won": True, "funnel_role": "won"})

    @api.model
    @tools.ormcache()
    def _funnel_stage_order(self):
        """``FunnelStage`` rows of the active stages in pipeline order, for the gate and
        the pipeline rules. Cached registry-wide; any stage change clears it."""
        # sudo: pipeline configuration, no user data
        # explicit domain: the cached result must not depend on the caller's active_test
        stages = (
            self.sudo()
            .search([("active", "=", True)])
            .sorted(lambda stage: (stage.sequence, stage.id))
        )
        return tuple(
            FunnelStage(
                stage.id,
                stage.sequence,
                frozenset(stage.team_ids.ids),
                stage.required_for_won,
                stage.is_won,
                stage.funnel_no_backward,
                stage.funnel_no_skip,
                stage.funnel_exit_group_id.id,
            )
            for stage in stages
        )

    @api.model
    @tools.ormcache()
    def _funnel_fold_map(self):
        """``{archived stage id: standard stage id}`` of the folded stages (cached)."""
        self.flush_model(["fold_into_id", "active"])
        # plain SQL: pipeline configuration, whatever the caller's rules and active_test
        self.env.cr.execute(
            "SELECT id, fold_into_id FROM crm_stage WHERE fold_into_id IS NOT NULL AND NOT active"
        )
        return dict(self.env.cr.fetchall())

    @api.model
    def _funnel_install_fold(self):
        """Install: on a database whose existing stages hold no lead, fold them into the
        standard stages (archived, their future leads redirected) and adopt the standard
        funnel for every company and team. A database with an existing pipeline keeps
        it as it is, advisory, until a sales manager applies the standard funnel.
        Returns True when the database was folded.
        """
        Stage = self.with_context(active_test=False)
        others = Stage.search([("funnel_role", "=", False), ("is_won", "=", False)])
        if others:
            self.env.flush_all()
            self.env.cr.execute(
                SQL("SELECT 1 FROM crm_lead WHERE stage_id = ANY(%s) LIMIT 1", others.ids)
            )
            if self.env.cr.fetchone():
                return False
        by_role = {
            stage.funnel_role: stage for stage in self.search([("funnel_role", "!=", False)])
        }
        roles = {}
        for xmlid, role in CRM_DEFAULT_STAGE_ROLES.items():
            stage = self.env.ref(xmlid, raise_if_not_found=False)
            if stage:
                roles[stage.id] = role
        for stage in others:
            target = by_role.get(roles.get(stage.id, "acquisition"))
            stage.write({"active": False, "fold_into_id": target.id if target else False})
        # tracking off: the install adopts, no user did
        self.env["res.company"].search([]).write({"funnel_adopted": True})
        self.env["crm.team"].with_context(active_test=False, tracking_disable=True).search(
            []
        ).write({"funnel_adopted": True})
        return True

    @api.model_create_multi
    def create(self, vals_list):
        stages = super().create(vals_list)
        self.env.registry.clear_cache()  # _funnel_stage_order, _funnel_fold_map
        return stages

    def write(self, vals):
        if vals.get("active"):
            # restored: no longer folded into a standard stage
            vals = {**vals, "fold_into_id": vals.get("fold_into_id", False)}
        res = super().write(vals)
        if any(fname in vals for fname in ORDER_FIELDS):
            # after the write: a cache filled meanwhile would hold the old order
            self.env.registry.clear_cache()  # _funnel_stage_order, _funnel_fold_map
        return res

    def unlink(self):
        res = super().unlink()
        self.env.registry.clear_cache()  # _funnel_stage_order, _funnel_fold_map
        return res
