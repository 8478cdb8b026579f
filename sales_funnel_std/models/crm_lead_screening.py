from datetime import datetime, time, timedelta

from odoo import _, api, fields, models
from odoo.exceptions import UserError, ValidationError

from .crm_lead_cadence import sla_overdue, sla_overdue_domain
from .crm_screening_rule import SCREENING_RESULTS
from .utm_source import DEFAULT_SOURCE_PRIORITY

COMPANY_SIZES = [
    ("small", "Revenue under 10 million"),
    ("medium", "Revenue 10 – 50 million"),
    ("large", "Revenue 50 million or more"),
]
BUDGET_RANGES = [
    ("lt_100k", "Under 100k"),
    ("100k_500k", "100k – 500k"),
    ("500k_1m", "500k – 1M"),
    ("gte_1m", "1M or more"),
]
FIRST_TOUCH_STATES = [("pending", "Pending"), ("met", "Met"), ("breached", "Breached")]
# Lead fields the preset criteria usually look at: a change of one of them re-suggests
# the screening result (rules may use other fields; saving a rule re-screens every lead
# not confirmed yet).
SCREENING_DEPENDS = (
    "industry_id",
    "funnel_company_size",
    "funnel_budget_range",
    "bndu_budget",
    "bndu_need",
    "bndu_decision",
    "bndu_urgency",
    "name",
    "email_from",
    "phone",
    "partner_id",
    "country_id",
    "state_id",
    "source_id",
    "company_id",
)


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # Lead profile (003 (一)): urgency and decision-maker come from the BNDU scores
    industry_id = fields.Many2one(
        "res.partner.industry",
        compute="_compute_industry_id",
        store=True,
        readonly=False,
        index="btree_not_null",
    )
    funnel_company_size = fields.Selection(COMPANY_SIZES, "Company Size", tracking=True)
    funnel_budget_range = fields.Selection(BUDGET_RANGES, "Budget Range", tracking=True)
    source_priority = fields.Integer(
        compute="_compute_source_priority",
        store=True,
        index=True,
        help="Priority of the lead's source channel: 1 is the highest (referral); leads "
        "without a source rank with the other sources.",
    )

    # Screening: suggestion from the rules, result confirmed by the rep
    screening_suggestion = fields.Selection(
        SCREENING_RESULTS,
        "Suggested Screening",
        compute="_compute_screening_suggestion",
        store=True,
        help="Result of the first screening rule matching the lead; Normal when none does.",
    )
    screening_result = fields.Selection(
        SCREENING_RESULTS,
        "Screening",
        compute="_compute_screening_result",
        store=True,
        readonly=False,
        index=True,
        tracking=True,
        help="High potential: matches the core customer profile; Normal: partial match; "
        "Invalid: clearly not a customer (closed as not followed up for now). Follows the "
        "suggestion until a salesperson confirms it.",
    )
    screening_date = fields.Datetime("Screened On", readonly=True, copy=False)
    screening_user_id = fields.Many2one("res.users", "Screened By", readonly=True, copy=False)

    # Intake timeliness (001: entered within 1 working day; 003: first touch within 24 h)
    funnel_capture_date = fields.Datetime(
        "Captured On",
        compute="_compute_funnel_capture_date",
        store=True,
        readonly=False,
        copy=False,
        help="When the lead was captured (exhibition, call, form…); the creation date "
        "unless the lead was captured earlier.",
    )
    intake_deadline = fields.Datetime("Entry Deadline", compute="_compute_intake_deadline")
    intake_late = fields.Boolean(
        "Entered Late",
        compute="_compute_intake_late",
        store=True,
        index=True,
        copy=False,
        help="Entered in the CRM after the entry deadline (working days after capture, "
        "company setting).",
    )
    first_touch_deadline = fields.Datetime(
        compute="_compute_first_touch",
        store=True,
        copy=False,
        help="High-potential leads: capture date plus the first-touch delay (company setting).",
    )
    first_touch_date = fields.Datetime(
        "First Touch", compute="_compute_first_touch", store=True, copy=False
    )
    first_touch_state = fields.Selection(
        FIRST_TOUCH_STATES,
        "First Touch SLA",
        compute="_compute_first_touch",
        store=True,
        index=True,
        copy=False,
    )
    first_touch_overdue = fields.Boolean(
        compute="_compute_first_touch_overdue",
        search="_search_first_touch_overdue",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends("source_id.funnel_priority")
    def _compute_source_priority(self):
        for lead in self:
            lead.source_priority = lead.source_id.funnel_priority or DEFAULT_SOURCE_PRIORITY

    @api.depends("partner_id")
    def _compute_industry_id(self):
        for lead in self:
            if lead.partner_id.commercial_partner_id.industry_id:
                lead.industry_id = lead.partner_id.commercial_partner_id.industry_id

    @api.depends(*SCREENING_DEPENDS)
    def _compute_screening_suggestion(self):
        """First matching rule by sequence; each rule's domain is evaluated once over
        the batch (``filtered_domain``), never lead by lead."""
        rules = self.env["crm.screening.rule"]._screening_rule_data()
        main_company_id = self._bndu_default_company_id() if rules else None
        todo = self
        for _rule_id, company_id, result, domain in rules:
            candidates = todo
            if company_id:
                candidates = todo.filtered(
                    lambda lead, cid=company_id: (lead.company_id.id or main_company_id) == cid
                )
            matched = candidates.filtered_domain(domain) if candidates else candidates
            if matched:
                matched.screening_suggestion = result
                todo -= matched
            if not todo:
                break
        todo.screening_suggestion = "normal"

    @api.depends("screening_suggestion")
    def _compute_screening_result(self):
        for lead in self:
            if not lead.screening_date:
                lead.screening_result = lead.screening_suggestion

    @api.depends("create_date")
    def _compute_funnel_capture_date(self):
        for lead in self:
            if not lead.funnel_capture_date:
                lead.funnel_capture_date = lead.create_date or fields.Datetime.now()

    @api.depends("funnel_capture_date", "company_id.funnel_intake_days")
    def _compute_intake_deadline(self):
        deadlines = self._screening_intake_deadlines()
        for lead in self:
            lead.intake_deadline = deadlines.get(lead, False)

    @api.depends("funnel_capture_date", "create_date", "company_id.funnel_intake_days")
    def _compute_intake_late(self):
        deadlines = self._screening_intake_deadlines()
        now = fields.Datetime.now()
        for lead in self:
            deadline = deadlines.get(lead)
            lead.intake_late = bool(deadline) and (lead.create_date or now) > deadline

    @api.depends(
        "screening_result",
        "funnel_capture_date",
        "company_id.funnel_first_touch_hours",
        "followup_ids.date",
    )
    def _compute_first_touch(self):
        """Only high-potential leads have a first-touch SLA: the first follow-up logged
        (one grouped read for the batch, none when no lead is high potential)."""
        high = self.filtered(
            lambda lead: lead.screening_result == "high" and lead.funnel_capture_date
        )
        (self - high).update(
            {"first_touch_deadline": False, "first_touch_date": False, "first_touch_state": False}
        )
        if not high:
            return
        first_dates = {}
        real_ids = [lead._origin.id for lead in high if lead._origin.id]
        if real_ids:
            first_dates = dict(
                self.env["crm.lead.followup"]
                .sudo()  # sudo: dates of the leads' own follow-ups, read to compute the SLA
                ._read_group([("lead_id", "in", real_ids)], ["lead_id"], ["date:min"])
            )
        default_company = None
        for lead in high:
            company = lead.company_id
            if not company:
                default_company = default_company or self._bndu_default_company()
                company = default_company
            deadline = lead.funnel_capture_date + timedelta(hours=company.funnel_first_touch_hours)
            touched = first_dates.get(lead._origin) or False
            lead.first_touch_deadline = deadline
            lead.first_touch_date = touched
            if not touched:
                lead.first_touch_state = "pending"
            else:
                lead.first_touch_state = "met" if touched <= deadline else "breached"

    @api.depends("first_touch_state", "first_touch_deadline")
    def _compute_first_touch_overdue(self):
        now = fields.Datetime.now()
        for lead in self:
            lead.first_touch_overdue = sla_overdue(
                lead.first_touch_state, lead.first_touch_deadline, now
            )

    def _search_first_touch_overdue(self, operator, value):
        return sla_overdue_domain("first_touch_state", "first_touch_deadline", operator, value)

    # ------------------------------------------------------------
    # PIPELINE STEP 1 (called by create/write in crm_lead.py)
    # ------------------------------------------------------------

    @api.model
    def _screening_check_values(self, vals_list):
        """Refuse unknown sources, unknown screening results and capture dates in the
        future before anything is written (one query for the whole batch)."""
        source_ids = {vals["source_id"] for vals in vals_list if vals.get("source_id")}
        if source_ids:
            if not all(isinstance(sid, int) and not isinstance(sid, bool) for sid in source_ids):
                raise ValidationError(_("The lead source must be given by its id."))
            known = set(self.env["utm.source"].browse(source_ids).exists().ids)
            unknown = sorted(source_ids - known)
            if unknown:
                raise ValidationError(
                    _(
                        "Unknown lead source %(source)s: choose an existing source.",
                        source=unknown[0],
                    )
                )
        results = dict(SCREENING_RESULTS)
        now = fields.Datetime.now()
        for vals in vals_list:
            result = vals.get("screening_result")
            if result and result not in results:
                raise ValidationError(
                    _(
                        "The screening result must be High Potential, Normal or Invalid "
                        "(got %(value)r).",
                        value=result,
                    )
                )
            capture = vals.get("funnel_capture_date")
            if capture:
                try:
                    capture = fields.Datetime.to_datetime(capture)
                except ValueError as error:
                    raise ValidationError(
                        _("The capture date %(value)r is not a valid date.", value=capture)
                    ) from error
                if capture > now + timedelta(minutes=5):
                    raise ValidationError(
                        _("A lead cannot be captured in the future (%(date)s).", date=capture)
                    )

    # ------------------------------------------------------------
    # ACTIONS
    # ------------------------------------------------------------

    def action_screening_confirm(self):
        """Confirm the screening result shown (the suggestion, or the value the
        salesperson picked). Invalid leads are closed as not followed up for now: one
        lead from its form opens CRM's lost wizard with that reason, several are closed
        at once with it."""
        self.check_access("write")
        if not self:
            return False
        confirmation = {"screening_date": fields.Datetime.now(), "screening_user_id": self.env.uid}
        by_result = {}
        for lead in self:  # the value shown (suggestion or pick) becomes the stored result
            by_result.setdefault(lead.screening_result or lead.screening_suggestion, []).append(
                lead.id
            )
        for result, ids in by_result.items():
            self.browse(ids).write(dict(confirmation, screening_result=result))
        invalid = self.filtered(lambda lead: lead.screening_result == "invalid" and lead.active)
        if not invalid:
            return True
        reason = self._screening_invalid_reason()
        if len(self) == 1:
            return {
                "type": "ir.actions.act_window",
                "name": _("Close as Not Followed Up for Now"),
                "res_model": "crm.lead.lost",
                "view_mode": "form",
                "views": [(False, "form")],
                "target": "new",
                "context": {
                    "default_lead_ids": invalid.ids,
                    "default_lost_reason_id": reason.id,
                    "dialog_size": "medium",
                },
            }
        invalid._screening_close_invalid(reason)
        return True

    def action_screening_set(self, result):
        """Confirm ``result`` (high / normal / invalid) instead of the suggestion."""
        if result not in dict(SCREENING_RESULTS):
            raise UserError(
                _(
                    "The screening result must be High Potential, Normal or Invalid "
                    "(got %(value)r).",
                    value=result,
                )
            )
        self.write({"screening_result": result})
        return self.action_screening_confirm()

    # ------------------------------------------------------------
    # BUSINESS
    # ------------------------------------------------------------

    def _screening_close_invalid(self, reason=None):
        """Close invalid leads as lost (archived, never deleted) with ``reason``
        (default: 暂不跟进 / not followed up for now)."""
        reason = reason or self._screening_invalid_reason()
        return self.action_set_lost(lost_reason_id=reason.id)

    @api.model
    def _screening_invalid_reason(self):
        return (
            self.env.ref(
                "sales_funnel_std.crm_lost_reason_not_followed_up", raise_if_not_found=False
            )
            or self.env["crm.lost.reason"]
        )

    def _screening_intake_deadlines(self):
        """``{lead: entry deadline}`` of the leads with a capture date; one calendar
        read per (company, capture day)."""
        result, by_day = {}, {}
        default_company = None
        for lead in self:
            capture = lead.funnel_capture_date
            if not capture:
                continue
            company = lead.company_id
            if not company:
                default_company = default_company or self._bndu_default_company()
                company = default_company
            key = (company, capture.date())
            if key not in by_day:
                by_day[key] = self._screening_intake_deadline(company, capture)
            result[lead] = by_day[key]
        return result

    @api.model
    def _screening_intake_deadline(self, company, capture):
        """End of the n-th working day after the capture day (company calendar, public
        holidays excluded; Monday to Friday, 23:59:59 UTC without calendar) — the same
        convention as the first-contact SLA in working days."""
        count = max(company.funnel_intake_days, 1)
        calendar = company.resource_calendar_id
        if calendar:
            # sudo: the company's working calendar, read for the deadline only
            days = self.env["crm.grade.policy"]._working_days(calendar.sudo(), capture, count)
            return days[min(count, len(days)) - 1][1]
        day, found = capture.date(), 0
        while found < count:
            day += timedelta(days=1)
            if day.weekday() < 5:
                found += 1
        return datetime.combine(day, time(23, 59, 59))
