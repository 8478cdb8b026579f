from odoo import api, fields, models, tools

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
        """``(id, sequence, team ids, required_for_won, is_won)`` of the active stages in
        pipeline order, for the gate. Cached registry-wide; any stage change clears it."""
        # sudo: pipeline configuration, no user data
        # explicit domain: the cached result must not depend on the caller's active_test
        stages = (
            self.sudo()
            .search([("active", "=", True)])
            .sorted(lambda stage: (stage.sequence, stage.id))
        )
        return tuple(
            (
                stage.id,
                stage.sequence,
                frozenset(stage.team_ids.ids),
                stage.required_for_won,
                stage.is_won,
            )
            for stage in stages
        )

    @api.model_create_multi
    def create(self, vals_list):
        self.env.registry.clear_cache()  # _funnel_stage_order
        return super().create(vals_list)

    def write(self, vals):
        self.env.registry.clear_cache()  # _funnel_stage_order
        return super().write(vals)

    def unlink(self):
        self.env.registry.clear_cache()  # _funnel_stage_order
        return super().unlink()
