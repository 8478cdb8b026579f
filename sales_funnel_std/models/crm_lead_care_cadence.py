"""Post-sale care on the won deal (001 §6 客户维护与二次开发): the deal's care fields,
its one open care activity (first revisit, quarterly care, repurchase review) planned by
``care_planner`` and written by the cadence writer, the daily catch-up job, and the
repurchase / referral opportunities' link to their origin."""

from datetime import datetime, time, timedelta

from odoo import _, api, fields, models
from odoo.tools import SQL

from .care_planner import FIRST_REVISIT, CareState, plan_care

ORIGINS = [("repurchase", "Repurchase"), ("referral", "Referral")]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    care_ids = fields.One2many("crm.lead.care", "lead_id", "Care Visits")
    care_count = fields.Integer("Care Visit Count", compute="_compute_care_count")
    care_revisit_deadline = fields.Date(
        "First Revisit Due",
        compute="_compute_care_revisit_deadline",
        help="The first post-sale revisit is due by this day (won date + the company's "
        "first revisit delay): the deadline of the deal's first revisit activity.",
    )
    # repurchase / referral opportunities and where they come from
    funnel_origin = fields.Selection(
        ORIGINS, "Created From", readonly=True, copy=False, index="btree_not_null"
    )
    origin_lead_id = fields.Many2one(
        "crm.lead", "Original Deal", readonly=True, copy=False, index="btree_not_null"
    )
    origin_care_id = fields.Many2one(
        "crm.lead.care", "Care Visit", readonly=True, copy=False, index="btree_not_null"
    )
    derived_lead_count = fields.Integer(
        "Repurchase / Referral Opportunities", compute="_compute_derived_lead_count"
    )

    def _compute_care_count(self):
        counts = dict(
            self.env["crm.lead.care"]._read_group(
                [("lead_id", "in", self.ids)], ["lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.care_count = counts.get(lead._origin, 0)

    def _compute_care_revisit_deadline(self):
        # sudo: one batched read of the deals' own care activities (done ones included),
        # values only
        deadlines = dict(
            self.env["mail.activity"]
            .sudo()
            .with_context(active_test=False)
            ._read_group(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "in", self.ids),
                    ("funnel_care", "=", FIRST_REVISIT),
                ],
                ["res_id"],
                ["date_deadline:min"],
            )
        )
        for lead in self:
            lead.care_revisit_deadline = deadlines.get(lead._origin.id, False)

    def _compute_derived_lead_count(self):
        counts = dict(
            self.with_context(active_test=False)._read_group(
                [("origin_lead_id", "in", self.ids)], ["origin_lead_id"], ["__count"]
            )
        )
        for lead in self:
            lead.derived_lead_count = counts.get(lead._origin, 0)

    # ------------------------------------------------------------
    # ORM: write pipeline steps (models/crm_lead.py)
    # ------------------------------------------------------------

    def _care_states_before(self, vals):
        """Write pipeline, step 3: ``{lead id: (active, won status, salesperson)}`` of the
        closed deals when ``vals`` may win, re-open, archive or re-assign one (None when
        ``vals`` cannot). Only a closed deal (``date_closed``, a plain column) can be won:
        open leads are not read, so core bulk paths over them (lead assignment,
        conversion) cost no query here."""
        if not any(fname in vals for fname in ("active", "stage_id", "user_id")):
            return None
        return {lead.id: self._cadence_state(lead) for lead in self if lead.date_closed}

    def _care_state_changed(self, states):
        """Write pipeline, step 6: the deals won, re-opened, archived or re-assigned
        (won before or after) since ``states``; a deal won by this write was not closed
        before and is closed now."""
        if states is None:
            return self.browse()
        return self.filtered(
            lambda lead: (
                (lead.id in states or lead.date_closed)
                and self._cadence_state(lead) != states.get(lead.id)
                and "won" in (lead.won_status, (states.get(lead.id) or (None, None))[1])
            )
        )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_log_care_visit(self):
        """Form of a new care visit on this won deal (kind of its open care activity)."""
        self.ensure_one()
        activity = (
            self.env["mail.activity"]
            .sudo()  # sudo: the kind of the deal's own care activity, a value only
            .search(
                [
                    ("res_model", "=", "crm.lead"),
                    ("res_id", "=", self.id),
                    ("funnel_care", "!=", False),
                ],
                limit=1,
            )
        )
        return {
            "type": "ir.actions.act_window",
            "name": _("Log Care Visit"),
            "res_model": "crm.lead.care",
            "view_mode": "form",
            "target": "new",
            "context": {
                "default_lead_id": self.id,
                "default_kind": activity.funnel_care or "other",
            },
        }

    def action_view_care_visits(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "sales_funnel_std.crm_lead_care_action"
        )
        action["domain"] = [("lead_id", "=", self.id)]
        action["context"] = {"default_lead_id": self.id}
        action["view_mode"] = "list,form"
        action["views"] = [(False, "list"), (False, "form")]
        return action

    def action_view_derived_leads(self):
        self.ensure_one()
        leads = self.with_context(active_test=False).search([("origin_lead_id", "=", self.id)])
        return leads._care_list_action(_("Repurchase / Referral Opportunities"))

    def action_view_origin_lead(self):
        self.ensure_one()
        return self.origin_lead_id._care_form_action()

    def _care_form_action(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "crm.lead",
            "res_id": self.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "context": {"default_type": "opportunity"},
        }

    def _care_list_action(self, name):
        if len(self) == 1:
            return self._care_form_action()
        return {
            "type": "ir.actions.act_window",
            "name": name,
            "res_model": "crm.lead",
            "view_mode": "list,form",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", self.ids)],
            "context": {"active_test": False},
        }

    # ------------------------------------------------------------
    # BUSINESS: care cadence
    # ------------------------------------------------------------

    def _care_sync(self):
        """Bring the care activity of these deals in line with their care log, set-based.

        One query reads the deals (won, owner, won date, care log summary, open care
        activity); the won customers without care state enter maintenance in one UPDATE;
        the first revisit's deadline (kept as its activity's) is computed for the deals
        still waiting for it; the planner
        (``care_planner.plan_care``) decides; the cadence writer applies (activities
        moved and created in one statement each, the assignees' counters notified once).
        """
        if not self.ids:
            return
        self.env.flush_all()
        self.env.cr.execute(
            SQL(
                """
                SELECT lead.id AS lead_id, lead.user_id,
                       COALESCE(lead.company_id, %(default_company)s) AS company_id,
                       lead.active AND lead.user_id IS NOT NULL AND lead.won_status = 'won'
                           AS eligible,
                       COALESCE(lead.date_closed, lead.write_date) AS won_at,
                       partner.commercial_partner_id AS customer_id,
                       care.last_care, care.last_review,
                       act.id AS activity_id, act.funnel_care AS activity_kind,
                       act.user_id AS activity_user_id, act.date_deadline AS activity_due
                  FROM crm_lead lead
             LEFT JOIN res_partner partner ON partner.id = lead.partner_id
             LEFT JOIN LATERAL (
                       SELECT MAX(c.date)::date AS last_care,
                              (MAX(c.date) FILTER (WHERE c.kind = 'repurchase_review'))::date
                                  AS last_review
                         FROM crm_lead_care c WHERE c.lead_id = lead.id
                       ) care ON TRUE
             LEFT JOIN mail_activity act
                    ON act.res_model = 'crm.lead' AND act.res_id = lead.id
                   AND act.funnel_care IS NOT NULL AND act.active
                 WHERE lead.id = ANY(%(ids)s)
                """,
                default_company=self._bndu_default_company().id,
                ids=self.ids,
            )
        )
        rows = self.env.cr.dictfetchall()
        today = fields.Date.context_today(self)
        eligible = [row for row in rows if row["eligible"]]
        self._care_start_maintenance({row["customer_id"] for row in eligible} - {None})
        # the first revisit's deadline is its activity's; computed while no visit is logged
        deadlines = self._care_revisit_deadlines(
            [
                row
                for row in eligible
                if not row["last_care"] and row["activity_kind"] != FIRST_REVISIT
            ]
        )
        # sudo: the care rules are company configuration the engine reads for any deal
        companies = self.env["res.company"].sudo().browse({row["company_id"] for row in eligible})
        rules = {company.id: company._care_rule() for company in companies}
        plans = []
        for row in rows:
            state = CareState(
                lead_id=row["lead_id"],
                user_id=row["user_id"],
                eligible=row["eligible"],
                start=row["won_at"] and row["won_at"].date(),
                revisit_deadline=row["activity_due"]
                if row["activity_kind"] == FIRST_REVISIT
                else deadlines.get(row["lead_id"]),
                last_care=row["last_care"],
                last_review=row["last_review"],
                activity_id=row["activity_id"],
                activity_kind=row["activity_kind"],
                activity_user_id=row["activity_user_id"],
                activity_due=row["activity_due"],
            )
            plans.append(plan_care(state, rules.get(row["company_id"]), today))
        old_activities = {
            row["activity_id"]: (row["activity_user_id"], row["activity_due"])
            for row in rows
            if row["activity_id"]
        }
        self._cadence_apply(plans, old_activities, today, "funnel_care")

    def _care_start_maintenance(self, customer_ids):
        """Won customers without a care state enter maintenance (维护中), one UPDATE."""
        if not customer_ids:
            return
        self.env.cr.execute(
            SQL(
                """
                UPDATE res_partner SET funnel_customer_state = 'maintenance'
                 WHERE id = ANY(%(ids)s) AND funnel_customer_state IS NULL
                """,
                ids=list(customer_ids),
            )
        )
        self.env["res.partner"].invalidate_model(["funnel_customer_state"])

    def _care_revisit_deadlines(self, rows):
        """``{lead id: first revisit deadline}`` of the won deals of ``rows`` (won date +
        the company's delay in calendar or working days). Working days: one calendar read
        per (calendar, won day)."""
        if not rows:
            return {}
        # sudo: the care rules are company configuration the engine reads for any deal
        companies = self.env["res.company"].sudo().browse({row["company_id"] for row in rows})
        Policy = self.env["crm.grade.policy"]
        rules = {
            company.id: (
                company.care_first_revisit_unit,
                company.care_first_revisit_delay,
                company.resource_calendar_id,
            )
            for company in companies
        }
        working = {}
        deadlines = {}
        for row in rows:
            unit, delay, calendar = rules[row["company_id"]]
            won_at = row["won_at"]
            if unit != "working_days":
                deadlines[row["lead_id"]] = won_at.date() + timedelta(days=delay)
                continue
            key = (calendar.id, won_at.date(), delay)
            if key not in working:
                if calendar:
                    start = datetime.combine(won_at.date(), time(12))
                    working[key] = Policy._working_days(calendar, start, delay)[-1][0]
                else:  # no calendar: Monday to Friday
                    day, left = won_at.date(), delay
                    while left:
                        day += timedelta(days=1)
                        left -= day.weekday() < 5
                    working[key] = day
            deadlines[row["lead_id"]] = working[key]
        return deadlines

    # ------------------------------------------------------------
    # CRON
    # ------------------------------------------------------------

    @api.model
    def _cron_sync_care(self, batch_size=1000, commit=True):
        """Daily: every won deal without its open care activity gets one (deals won
        before the addon, by import, or whose activity was deleted). Same batching as
        the follow-up cadence (``_cadence_run_batches``: SKIP LOCKED, progress committed
        per batch, idempotent). Returns the number of deals processed."""
        todo_query = SQL(
            """
            FROM crm_lead lead
           WHERE lead.active AND lead.user_id IS NOT NULL AND lead.won_status = 'won'
             AND (SELECT act.id FROM mail_activity act
                   WHERE act.res_model = 'crm.lead' AND act.res_id = lead.id
                     AND act.funnel_care IS NOT NULL AND act.active
                   LIMIT 1) IS NULL
            """
        )
        self.env.flush_all()
        return self._cadence_run_batches(
            todo_query, lambda leads: leads._care_sync(), batch_size, commit
        )
