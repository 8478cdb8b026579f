import logging

from odoo import _, api, fields, models, tools

from .crm_lead_gate import MANAGER_GROUP

_logger = logging.getLogger(__name__)


class CrmTeam(models.Model):
    _inherit = "crm.team"

    # Adoption of the standard funnel (coexistence with an existing pipeline)
    funnel_adopted = fields.Boolean(
        "Standard Funnel Enforced",
        default=lambda self: self.env.company.funnel_adopted,
        tracking=True,
        help="On: the stage gate refuses forward moves while required checklist items are "
        "open, and the handover rules apply to this team's opportunities. Off (advisory): "
        "checklists, progress and the Blocked marker show, nothing is refused.",
    )

    # Targets (the current period's team target, for the team's card)
    funnel_target_id = fields.Many2one(
        "crm.funnel.target", "Current Target", compute="_compute_funnel_target"
    )
    funnel_target_period = fields.Char("Target Period", compute="_compute_funnel_target")
    funnel_target_revenue = fields.Float("Revenue Target", compute="_compute_funnel_target")
    funnel_target_revenue_actual = fields.Float("Won Revenue", compute="_compute_funnel_target")
    funnel_target_progress = fields.Float("Target Progress (%)", compute="_compute_funnel_target")

    # ------------------------------------------------------------
    # COMPUTE
    # ------------------------------------------------------------

    def _compute_funnel_target(self):
        """The revenue figure of the team's targets of the shortest period containing
        today (any figure when none has revenue): one query for all the teams shown, over
        this period's facts only."""
        today = fields.Date.context_today(self)
        rows = self.env["crm.funnel.target.progress"]._read_figures(
            [
                ("level", "=", "team"),
                ("team_id", "in", self._origin.ids),
                ("date_from", "<=", today),
                ("date_to", ">=", today),
            ]
        )
        period_order = {"month": 0, "quarter": 1, "year": 2}
        best = {}
        for row in rows:
            team_id = row["team_id"]
            key = (row["metric"] != "revenue", period_order[row["period_type"]])
            if team_id not in best or key < best[team_id][0]:
                best[team_id] = (key, row)
        for team in self:
            row = best.get(team._origin.id, (None, None))[1]
            team.funnel_target_id = row and row["target_id"]
            team.funnel_target_period = row and row["period_label"]
            revenue = row and row["metric"] == "revenue"
            team.funnel_target_revenue = row["target_value"] if revenue else 0.0
            team.funnel_target_revenue_actual = row["actual_value"] if revenue else 0.0
            team.funnel_target_progress = (row["progress"] or 0.0) if revenue else 0.0

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        teams = super().create(vals_list)
        if any(teams.mapped("funnel_adopted")):
            self.env.registry.clear_cache()  # _funnel_adoption
        return teams

    def write(self, vals):
        res = super().write(vals)
        if "funnel_adopted" in vals:
            self.env.registry.clear_cache()  # _funnel_adoption
            _logger.info(
                "Standard funnel %s for teams %s by user %s",
                "enforced" if vals["funnel_adopted"] else "advisory",
                self.ids,
                self.env.uid,
            )
        return res

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    @api.model
    @tools.ormcache()
    def _funnel_adoption(self):
        """``(adopted team ids, adopted company ids, main company id)``, cached
        registry-wide (cleared when a team's or a company's adoption changes).

        A lead follows its team; a lead without team follows its company; a lead
        without company follows the main (first) company.
        """
        self.flush_model(["funnel_adopted"])
        self.env["res.company"].flush_model(["funnel_adopted"])
        cr = self.env.cr
        # plain SQL: configuration flags, no user data; must not depend on the caller's
        # record rules or active_test
        cr.execute("SELECT id FROM crm_team WHERE funnel_adopted")
        teams = frozenset(row[0] for row in cr.fetchall())
        cr.execute("SELECT id FROM res_company WHERE funnel_adopted ORDER BY id")
        companies = frozenset(row[0] for row in cr.fetchall())
        cr.execute("SELECT MIN(id) FROM res_company")
        return teams, companies, cr.fetchone()[0]

    def action_funnel_adopt(self):
        """Enforce the standard funnel on these teams (logged in their chatter)."""
        self._funnel_set_adopted(True)

    def action_funnel_make_advisory(self):
        """Back to advisory checklists on these teams (logged in their chatter)."""
        self._funnel_set_adopted(False)

    def _funnel_set_adopted(self, adopted):
        self.check_access("write")
        todo = self.filtered(lambda team: team.funnel_adopted != adopted)
        if not todo:
            return
        todo.funnel_adopted = adopted
        body = (
            _(
                "Standard funnel adopted by %(user)s: the stage gate and the handover rules apply.",
                user=self.env.user.name,
            )
            if adopted
            else _(
                "Standard funnel made advisory by %(user)s: checklists show, nothing is refused.",
                user=self.env.user.name,
            )
        )
        for team in todo:
            team.message_post(body=body, message_type="notification", subtype_xmlid="mail.mt_note")

    def action_open_funnel_targets(self):
        """The targets of this team and its people (from the team's card)."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_funnel_std.crm_funnel_target_progress_action"
        )
        action["domain"] = [("team_id", "=", self.id)]
        action["context"] = {"search_default_current": 1}
        return action

    @api.model
    def get_funnel_adoption_prompt(self):
        """The one-line prompt of the pipeline for sales managers (static/src/js):
        ``{"message": …, "action": …}`` while some team of the user's companies (or their
        leads without team) is advisory, else False."""
        if not self.env.user.has_group(MANAGER_GROUP):
            return False
        companies = self.env.companies
        advisory = self.search(
            [("funnel_adopted", "=", False), ("company_id", "in", [False, *companies.ids])]
        )
        teamless = companies.filtered(lambda company: not company.funnel_adopted)
        if not advisory and not teamless:
            return False
        names = advisory.mapped("name")
        if teamless:
            names.append(_("leads without a sales team"))
        return {
            "message": _(
                "The standard funnel is advisory for %(teams)s: checklists show, nothing is "
                "refused until you adopt it.",
                teams=", ".join(names),
            ),
            "button": _("Adopt the Standard Funnel"),
            "action": self.env["ir.actions.act_window"]._for_xml_id(
                "sales_funnel_std.crm_funnel_apply_action"
            ),
        }
