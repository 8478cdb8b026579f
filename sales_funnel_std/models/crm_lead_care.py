from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import plaintext2html

from .care_planner import REVIEW
from .crm_lead_followup import FOLLOWUP_CHANNELS
from .mail_activity import CARE_KINDS

CARE_RECORD_KINDS = [*CARE_KINDS, ("other", "Other Visit")]
SATISFACTION = [
    ("1", "1 – Very dissatisfied"),
    ("2", "2 – Dissatisfied"),
    ("3", "3 – Neutral"),
    ("4", "4 – Satisfied"),
    ("5", "5 – Very satisfied"),
]


class CrmLeadCare(models.Model):
    """A post-sale care visit (客户反馈, maintenance stage): satisfaction, suggestions,
    repurchase / upsell needs and referral intent of a won deal's customer."""

    _name = "crm.lead.care"
    _description = "Customer Care Visit"
    _order = "date desc, id desc"
    _rec_name = "lead_id"

    # Visit
    lead_id = fields.Many2one(
        "crm.lead",
        "Won Opportunity",
        required=True,
        index=True,
        ondelete="cascade",
        domain="[('won_status', '=', 'won')]",
    )
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    kind = fields.Selection(CARE_RECORD_KINDS, "Visit Type", required=True, default="other")
    channel = fields.Selection(FOLLOWUP_CHANNELS, required=True, default="phone")
    activity_id = fields.Many2one("mail.activity", ondelete="set null", readonly=True)
    logged_by_id = fields.Many2one("res.users", readonly=True, default=lambda s: s.env.user)
    # Account (from the deal: the account owner's figures)
    partner_id = fields.Many2one(
        "res.partner", "Customer", compute="_compute_from_lead", store=True, precompute=True
    )
    user_id = fields.Many2one(
        "res.users",
        "Salesperson",
        compute="_compute_from_lead",
        store=True,
        precompute=True,
        index=True,
    )
    team_id = fields.Many2one(
        "crm.team", "Sales Team", compute="_compute_from_lead", store=True, precompute=True
    )
    company_id = fields.Many2one(
        "res.company", compute="_compute_from_lead", store=True, precompute=True, index=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    # Customer feedback (客户反馈)
    satisfaction = fields.Selection(SATISFACTION, "Satisfaction (1-5)")
    satisfaction_score = fields.Integer(
        "Satisfaction",
        compute="_compute_satisfaction_score",
        store=True,
        aggregator="avg",
        help="The satisfaction score as a number (average in groups); empty when not rated.",
    )
    suggestions = fields.Text()
    has_repurchase_need = fields.Boolean(
        "Repurchase / Upsell Need",
        help="The customer has a repurchase or upsell need: the customer becomes a "
        "potential repurchase.",
    )
    repurchase_need = fields.Text("Repurchase / Upsell Details")
    repurchase_revenue = fields.Monetary(
        "Estimated Repurchase Revenue", currency_field="currency_id"
    )
    referral_intent = fields.Boolean(help="The customer is willing to refer another prospect.")
    referral_partner_id = fields.Many2one("res.partner", "Referred Prospect")
    referral_note = fields.Char("Referral Details")
    next_action = fields.Char()
    # Opportunities created from this visit
    opportunity_ids = fields.One2many("crm.lead", "origin_care_id", "Created Opportunities")
    opportunity_count = fields.Integer(compute="_compute_opportunity_count")

    _satisfaction_range = models.Constraint(
        "CHECK(satisfaction IS NULL OR satisfaction IN ('1','2','3','4','5'))",
        "Satisfaction must be between 1 and 5.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("lead_id")
    def _compute_from_lead(self):
        for care in self:
            lead = care.lead_id
            care.partner_id = lead.partner_id.commercial_partner_id or lead.partner_id
            care.user_id = lead.user_id
            care.team_id = lead.team_id
            care.company_id = lead.company_id

    @api.depends("satisfaction")
    def _compute_satisfaction_score(self):
        for care in self:
            care.satisfaction_score = int(care.satisfaction) if care.satisfaction else False

    def _compute_opportunity_count(self):
        counts = dict(
            self.env["crm.lead"]
            .with_context(active_test=False)
            ._read_group([("origin_care_id", "in", self.ids)], ["origin_care_id"], ["__count"])
        )
        for care in self:
            care.opportunity_count = counts.get(care, 0)

    # ------------------------------------------------------------
    # ORM
    # ------------------------------------------------------------

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._care_check_vals(vals)
        cares = super().create(vals_list)
        cares._care_after_log()
        return cares

    def write(self, vals):
        self._care_check_vals(vals)
        leads_before = self.lead_id
        res = super().write(vals)
        if any(f in vals for f in ("has_repurchase_need", "kind", "lead_id")):
            self._care_update_customer_state()
        if any(f in vals for f in ("date", "kind", "lead_id")):
            # the next visit follows the last one logged (of the deal it was moved from too)
            (leads_before | self.lead_id)._care_sync()
        return res

    @api.model
    def _care_check_vals(self, vals):
        """Clear, translated messages for bad input, raised before anything is written."""
        given = vals.get("satisfaction")
        if given is not None and given is not False:
            value = str(given) if isinstance(given, int) and not isinstance(given, bool) else given
            if value not in dict(SATISFACTION):
                raise ValidationError(
                    _("The satisfaction score must be from 1 to 5 (got %(value)r).", value=given)
                )
            vals["satisfaction"] = value
        for fname, selection in (("kind", CARE_RECORD_KINDS), ("channel", FOLLOWUP_CHANNELS)):
            value = vals.get(fname)
            if value and value not in dict(selection):
                raise ValidationError(
                    _(
                        "Unknown %(field)s %(value)r; use one of: %(values)s.",
                        field=self._fields[fname]._description_string(self.env),
                        value=value,
                        values=", ".join(dict(selection)),
                    )
                )
        if vals.get("lead_id"):
            lead = self.env["crm.lead"].browse(vals["lead_id"]).exists()
            if not lead or lead.won_status != "won":
                raise ValidationError(
                    _(
                        "Care visits are logged on won opportunities only (%(lead)s).",
                        lead=lead.name or vals["lead_id"],
                    )
                )

    # ------------------------------------------------------------
    # BUSINESS: logging a visit
    # ------------------------------------------------------------

    def _care_after_log(self):
        """Visits were logged: each completes its deal's open care activity (the next one
        is then planned), and the customer's state follows the visit."""
        Activity = self.env["mail.activity"]
        open_activities = {}
        # sudo: the deals' own care activities (one batched read), values only
        for activity in Activity.sudo().search(
            [
                ("res_model", "=", "crm.lead"),
                ("res_id", "in", self.lead_id.ids),
                ("funnel_care", "!=", False),
            ]
        ):
            open_activities[activity.res_id] = activity
        to_complete = Activity
        for care in self:
            activity = care.activity_id or open_activities.get(care.lead_id.id)
            if activity and activity.active:
                if not care.activity_id:
                    care.activity_id = activity
                to_complete |= activity
        self._care_update_customer_state()
        if to_complete:
            # sudo: the care activity of the deal this user just logged a visit for is
            # completed as a whole (its assignee may be another salesperson)
            to_complete.sudo()._action_done()
        self.lead_id._care_sync()

    @api.model
    def _care_activities_done(self, activities, feedback=False):
        """Care activities were marked done (chatter, activity view): those without a
        visit logged get one (kind of the activity, no score), then the next is planned."""
        logged = set(self.sudo().search([("activity_id", "in", activities.ids)]).activity_id.ids)
        vals_list = [
            {
                "lead_id": activity.res_id,
                "activity_id": activity.id,
                "kind": activity.funnel_care,
                "channel": "other",
                "suggestions": feedback or False,
            }
            for activity in activities
            if activity.id not in logged
        ]
        if vals_list:
            # sudo: a visit record of the activity the user just completed, the same
            # record the user could log; it carries no score
            self.sudo().create(vals_list)

    def _care_update_customer_state(self):
        """The customer's state (维护中 / 潜在复购) after these visits: a repurchase need
        makes a potential repurchase; a repurchase review without need puts the customer
        back in maintenance."""
        for care in self.sorted("date"):
            partner = care.partner_id
            if not partner:
                continue
            if care.has_repurchase_need:
                state = "potential_repurchase"
            elif care.kind == REVIEW:
                state = "maintenance"
            else:
                continue
            if partner.funnel_customer_state != state:
                # sudo: the customer of a deal the user may read; only its care state
                partner.sudo().funnel_customer_state = state

    # ------------------------------------------------------------
    # ACTIONS: repurchase / referral opportunities
    # ------------------------------------------------------------

    def action_new_repurchase_opportunity(self):
        """Create (once) the repurchase opportunity of this visit; returns its form."""
        self.ensure_one()
        if not self.has_repurchase_need:
            raise UserError(
                _("This care visit records no repurchase or upsell need: tick the need first.")
            )
        return self._care_opportunity("repurchase")._care_form_action()

    def action_new_referral_opportunity(self):
        """Create (once) the referral opportunity of this visit; returns its form."""
        self.ensure_one()
        if not self.referral_intent:
            raise UserError(
                _(
                    "This care visit records no referral intent: tick the intent and name "
                    "the prospect first."
                )
            )
        return self._care_opportunity("referral")._care_form_action()

    def action_view_opportunities(self):
        self.ensure_one()
        return self.opportunity_ids._care_list_action(_("Opportunities from this Visit"))

    def _care_opportunity(self, origin):
        """The ``origin`` (repurchase / referral) opportunity of this visit, created
        pre-filled the first time: customer, salesperson, team, revenue hint, the need
        quoted, the source, and the original deal and visit as its origin."""
        self.ensure_one()
        self.check_access("read")
        Lead = self.env["crm.lead"]
        existing = Lead.with_context(active_test=False).search(
            [("origin_care_id", "=", self.id), ("funnel_origin", "=", origin)], limit=1
        )
        if existing:
            return existing
        deal = self.lead_id
        customer = deal.partner_id.commercial_partner_id.display_name or deal.name
        vals = {
            "type": "opportunity",
            "user_id": deal.user_id.id,
            "team_id": deal.team_id.id,
            "company_id": deal.company_id.id,
            "origin_lead_id": deal.id,
            "origin_care_id": self.id,
            "funnel_origin": origin,
            "source_id": self.env["utm.source"]._care_source(origin).id,
        }
        if origin == "repurchase":
            vals.update(
                name=_("%(customer)s – repurchase", customer=customer),
                partner_id=deal.partner_id.id,
                expected_revenue=self.repurchase_revenue or 0.0,
                description=self._care_quote(self.repurchase_need or self.suggestions),
            )
        else:
            prospect = self.referral_partner_id
            vals.update(
                name=_(
                    "%(prospect)s – referred by %(customer)s",
                    prospect=prospect.display_name or self.referral_note or _("Referral"),
                    customer=customer,
                ),
                partner_id=prospect.id or False,
                referred=customer,
                description=self._care_quote(self.referral_note),
            )
        return Lead.create(vals)

    def _care_quote(self, text):
        """The opportunity's description: the need as the customer said it, with its visit."""
        lines = [
            _(
                "From the care visit of %(date)s on %(deal)s:",
                date=fields.Date.to_string(self.date.date()),
                deal=self.lead_id.name,
            )
        ]
        if text:
            lines.append(text)
        return plaintext2html("\n".join(lines))
