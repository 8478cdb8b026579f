from odoo import _, api, fields, models, tools
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from .res_company import BNDU_WEIGHT_FIELDS

BNDU_SCORE_FIELDS = ("bndu_budget", "bndu_need", "bndu_decision", "bndu_urgency")
BNDU_SCORE_VALUES = ("1", "2", "3", "4", "5")
GRADES = [
    ("a", "A – High intent"),
    ("b", "B – Medium intent"),
    ("c", "C – Low intent"),
    ("none", "Not qualified"),
]


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # BNDU qualification: playbook rubric, anchors for 5 / 3 / 1
    bndu_budget = fields.Selection(
        [
            ("5", "5 – Budget confirmed, matches the quote"),
            ("4", "4 – Budget known, close to the quote"),
            ("3", "3 – Budget range vague"),
            ("2", "2 – Budget doubtful"),
            ("1", "1 – No or insufficient budget"),
        ],
        string="Budget (B)",
        tracking=True,
        help="5: budget confirmed and matches the quote; 3: budget range vague; "
        "1: no or insufficient budget.",
    )
    bndu_need = fields.Selection(
        [
            ("5", "5 – Clear pain point, strongly related"),
            ("4", "4 – Pain point identified"),
            ("3", "3 – Need exists but not explicit"),
            ("2", "2 – Need unclear"),
            ("1", "1 – No clear need"),
        ],
        string="Need (N)",
        tracking=True,
        help="5: clear pain point, strongly related to the product; "
        "3: need exists but not explicit; 1: no clear need.",
    )
    bndu_decision = fields.Selection(
        [
            ("5", "5 – Decision-maker engaged, authority clear"),
            ("4", "4 – Decision-maker identified"),
            ("3", "3 – Several departments must agree"),
            ("2", "2 – Decision chain unclear"),
            ("1", "1 – Decision-maker not reached"),
        ],
        string="Decision (D)",
        tracking=True,
        help="5: decision-maker engaged, authority clear; 3: several departments must "
        "agree; 1: decision-maker not reached.",
    )
    bndu_urgency = fields.Selection(
        [
            ("5", "5 – Go-live within 1–3 months"),
            ("4", "4 – Go-live within 3 months or so"),
            ("3", "3 – Go-live in 3–6 months"),
            ("2", "2 – Go-live in about 6 months"),
            ("1", "1 – Go-live in more than 6 months"),
        ],
        string="Urgency (U)",
        tracking=True,
        help="5: go-live within 1–3 months; 3: within 3–6 months; 1: more than 6 months.",
    )
    bndu_total = fields.Float(
        "BNDU Score",
        digits=(16, 2),
        compute="_compute_bndu_grade",
        store=True,
        tracking=True,
        help="(B × budget weight) + (N × need weight) + (D × decision weight) "
        "+ (U × urgency weight); 0 until all four criteria are scored.",
    )
    bndu_grade = fields.Selection(
        GRADES,
        string="Grade",
        compute="_compute_bndu_grade",
        store=True,
        index=True,
        tracking=True,
        default="none",
        help="A when the BNDU score reaches the grade A threshold, B when it reaches the "
        "grade B threshold, C below it; Not qualified until all four criteria are scored.",
    )

    _bndu_scores_range = models.Constraint(
        "CHECK("
        "(bndu_budget IS NULL OR bndu_budget IN ('1','2','3','4','5')) AND "
        "(bndu_need IS NULL OR bndu_need IN ('1','2','3','4','5')) AND "
        "(bndu_decision IS NULL OR bndu_decision IN ('1','2','3','4','5')) AND "
        "(bndu_urgency IS NULL OR bndu_urgency IN ('1','2','3','4','5')))",
        "BNDU scores must be between 1 and 5.",
    )

    # ------------------------------------------------------------
    # COMPUTES
    # ------------------------------------------------------------

    @api.depends(*BNDU_SCORE_FIELDS, "company_id")
    def _compute_bndu_grade(self):
        default_company = None  # looked up only when a scored lead has no company
        for lead in self:
            scores = [lead[fname] for fname in BNDU_SCORE_FIELDS]
            if not all(scores):
                lead.bndu_total = 0.0
                lead.bndu_grade = "none"
                continue
            rules = lead.company_id
            if not rules:
                if default_company is None:
                    default_company = self._bndu_default_company()
                rules = default_company
            weights = [rules[fname] for fname in BNDU_WEIGHT_FIELDS]
            total = sum(int(score) * weight for score, weight in zip(scores, weights, strict=True))
            lead.bndu_total = total
            lead.bndu_grade = self._bndu_grade_for(total, rules)

    # ------------------------------------------------------------
    # ORM: the addon's one create/write pipeline
    # ------------------------------------------------------------
    # Every feature adds named steps here instead of overriding create/write in its own
    # file; the order matters and is pinned by tests (tests/test_pipeline.py):
    #   1. check and normalise the values    _bndu_check_score_values (scores),
    #                                        _screening_check_values (source, screening,
    #                                        capture date; screening file)
    #                                        _funnel_unfold_stage (folded stage -> standard)
    #   2. refuse before anything is written _funnel_gate (stage gate, gate file),
    #                                        _handover_check_won_allowed (handover file)
    #   3. remember what the steps after the write compare: grades, cadence states
    #   4. CRM's own create/write
    #   5. grade changed -> cadence          _bndu_grade_changed (cadence file)
    #   6. won / lost / archived / salesperson changed -> cadence    _cadence_sync
    #                                        and post-sale care      _care_sync (care file)
    #   7. stage entered -> checklist lines, history, override log  _funnel_after_move
    #   8. a field a checklist item checks changed -> its line     _funnel_refresh_field_lines
    #   9. team or a field of a checklist item's condition changed -> the lines of the
    #      current stage appear / stop being current               _funnel_refresh_scoped_lines
    #  10. salesperson or team changed -> the lines' owners; stage entered or owner
    #      changed -> the owners' activities          _funnel_sync_line_owners (owners file)
    # A lead created in a stage passes the gate right after CRM's create (step 2 needs the
    # record; a refusal rolls the creation back with the transaction or import savepoint).

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:  # 1
            self._bndu_check_score_values(vals)
        self._screening_check_values(vals_list)
        vals_list = [self._funnel_unfold_stage(vals) for vals in vals_list]
        leads = super().create(vals_list)  # 4
        forced_info = leads._funnel_enforced()._funnel_gate(creating=True)  # 2
        leads._funnel_after_move(forced_info)  # 7
        leads._funnel_sync_line_owners({}, leads)  # 10
        leads.filtered(lambda lead: lead.bndu_grade != "none")._bndu_grade_changed()  # 5
        return leads

    def write(self, vals):
        self._bndu_check_score_values(vals)  # 1
        self._screening_check_values([vals])
        vals = self._funnel_unfold_stage(vals)
        moving, forced_info = self._funnel_check_move(vals)  # 2
        if "stage_id" in vals:
            self._handover_check_won_allowed(vals["stage_id"])
        grades = self._bndu_grades_before(vals)  # 3
        cadence_states = self._cadence_states_before(vals)
        care_states = self._care_states_before(vals)
        res = super().write(vals)  # 4
        regraded = self._bndu_regraded(grades)  # 5
        regraded._bndu_grade_changed()
        (self._cadence_state_changed(cadence_states) - regraded)._cadence_sync()  # 6
        self._care_state_changed(care_states)._care_sync()
        moving._funnel_after_move(forced_info)  # 7
        self._funnel_refresh_field_lines(vals)  # 8
        self._funnel_refresh_scoped_lines(vals)  # 9
        self._funnel_sync_line_owners(vals, moving)  # 10
        return res

    def _bndu_grades_before(self, vals):
        """``{lead id: grade}`` when ``vals`` may change the grade (scores, company)."""
        if not any(fname in vals for fname in (*BNDU_SCORE_FIELDS, "company_id")):
            return {}
        return {lead.id: lead.bndu_grade for lead in self}

    def _bndu_regraded(self, grades):
        """The leads whose grade is no longer the one in ``grades``."""
        if not grades:
            return self.browse()
        return self.filtered(lambda lead: lead.bndu_grade != grades[lead.id])

    # ------------------------------------------------------------
    # BUSINESS: qualification API used by cadences and analytics
    # ------------------------------------------------------------

    def _bndu_grade_changed(self):
        """Hook called with the leads whose grade just changed (create, write, re-grade).

        This is the one entry point other features (cadences, analytics) extend;
        ``bndu_grade`` is already up to date when it runs.
        """

    @api.model
    def _bndu_default_company(self):
        """Rules for leads without company: those of the main (first) company."""
        # sudo: a company's rules, read for any lead; no query (cached id)
        return self.env["res.company"].sudo().browse(self._bndu_default_company_id())

    @api.model
    @tools.ormcache()
    def _bndu_default_company_id(self):
        """Id of the main (first active) company; cached registry-wide, cleared when a
        company is archived, restored or deleted (res.company)."""
        return self.env["res.company"].sudo().search([], order="id", limit=1).id

    @api.model
    def _funnel_company_sql(self, lead_alias):
        """SQL of the company whose rules apply to the leads of ``lead_alias``: the lead's,
        or the main (first active) company for leads without one (the SQL twin of
        ``_bndu_default_company_id``, for views that cannot use the cache)."""
        return SQL(
            "COALESCE(%s, (SELECT id FROM res_company WHERE active ORDER BY id LIMIT 1))",
            SQL.identifier(lead_alias, "company_id"),
        )

    @api.model
    def _bndu_grade_for(self, total, company):
        """Grade of a complete BNDU total under ``company``'s thresholds."""
        if total >= company.bndu_threshold_a:
            return "a"
        if total >= company.bndu_threshold_b:
            return "b"
        return "c"

    @api.model
    def _bndu_check_score_values(self, vals):
        for fname in BNDU_SCORE_FIELDS:
            value = vals.get(fname)
            if value is None or value is False:
                continue
            if isinstance(value, int) and not isinstance(value, bool):
                value = str(value)
                vals[fname] = value
            if value not in BNDU_SCORE_VALUES:
                raise ValidationError(
                    _(
                        "%(criterion)s must be scored from 1 to 5 (got %(value)r).",
                        criterion=self._fields[fname]._description_string(self.env),
                        value=vals[fname],
                    )
                )

    @api.model
    def _bndu_regrade_companies(self, companies):
        """Re-grade, set-based, every scored lead ruled by ``companies``.

        One UPDATE per call, no ORM recompute, no chatter message; returns the ids of
        the leads whose grade changed (cadences react to those).
        """
        companies = companies.sudo()
        default_company = self._bndu_default_company()
        self.env.flush_all()
        company_ids = companies.ids
        include_no_company = default_company in companies
        self.env.cr.execute(
            SQL(
                """
                WITH computed AS (
                    SELECT lead.id,
                           lead.bndu_grade AS old_grade,
                           lead.bndu_budget::int * c.bndu_weight_budget
                         + lead.bndu_need::int * c.bndu_weight_need
                         + lead.bndu_decision::int * c.bndu_weight_decision
                         + lead.bndu_urgency::int * c.bndu_weight_urgency AS total,
                           c.bndu_threshold_a AS threshold_a,
                           c.bndu_threshold_b AS threshold_b
                      FROM crm_lead lead
                      JOIN res_company c ON c.id = COALESCE(lead.company_id, %(default)s)
                     WHERE (lead.company_id = ANY(%(companies)s)
                            OR (%(no_company)s AND lead.company_id IS NULL))
                       AND lead.bndu_budget IS NOT NULL AND lead.bndu_need IS NOT NULL
                       AND lead.bndu_decision IS NOT NULL AND lead.bndu_urgency IS NOT NULL
                ), graded AS (
                    SELECT id, old_grade, total,
                           CASE WHEN total >= threshold_a THEN 'a'
                                WHEN total >= threshold_b THEN 'b'
                                ELSE 'c' END AS grade
                      FROM computed
                )
                UPDATE crm_lead lead
                   SET bndu_total = graded.total, bndu_grade = graded.grade
                  FROM graded
                 WHERE lead.id = graded.id
                   AND (lead.bndu_total IS DISTINCT FROM graded.total
                        OR lead.bndu_grade IS DISTINCT FROM graded.grade)
             RETURNING lead.id, graded.old_grade IS DISTINCT FROM graded.grade
                """,
                default=default_company.id,
                companies=company_ids,
                no_company=include_no_company,
            )
        )
        rows = self.env.cr.fetchall()
        self.invalidate_model(["bndu_total", "bndu_grade"])
        regraded = self.browse(lead_id for lead_id, grade_changed in rows if grade_changed)
        if regraded:
            regraded._bndu_grade_changed()
        return regraded

    # ------------------------------------------------------------
    # MERGE
    # ------------------------------------------------------------

    def _merge_get_fields_specific(self):
        """Merged opportunity keeps the most complete BNDU assessment.

        The four scores are taken together from the lead with the most criteria
        scored; on a tie, the first lead in merge order wins (the merge target).
        Scores are never mixed from several leads.
        """
        specific = super()._merge_get_fields_specific()

        def best_scores(fname, leads):
            source = max(leads, key=lambda lead: sum(bool(lead[f]) for f in BNDU_SCORE_FIELDS))
            return source[fname]

        for fname in BNDU_SCORE_FIELDS:
            specific[fname] = best_scores
        return specific
