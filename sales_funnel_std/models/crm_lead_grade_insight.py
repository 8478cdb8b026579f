from odoo import _, fields, models

from .crm_lead import BNDU_SCORE_FIELDS
from .grade_calibration import MIN_CLOSED_DEALS, rate


class CrmLead(models.Model):
    _inherit = "crm.lead"

    # The BNDU grade explained by the company's own closed deals, next to Odoo's learned
    # probability (computed on display only: the form, never the kanban or lists)
    bndu_grade_win_rate = fields.Float(
        "Grade Win Rate (%)",
        compute="_compute_bndu_insight",
        digits=(16, 1),
        help="Share of the company's closed deals of this grade that were won.",
    )
    bndu_insight = fields.Char(
        "Grade Insight",
        compute="_compute_bndu_insight",
        help="How deals of this grade and score have ended in this company, and the "
        "criterion that separates won from lost deals most.",
    )

    def _compute_bndu_insight(self):
        outcomes_by_company = {}
        default_company = None
        for lead in self:
            lead.bndu_grade_win_rate = 0.0
            lead.bndu_insight = False
            if lead.bndu_grade == "none":
                continue
            company = lead.company_id
            if not company:
                if default_company is None:
                    default_company = self._bndu_default_company()
                company = default_company
            if company.id not in outcomes_by_company:
                # sudo: win rates aggregated over the company's closed deals (its daily
                # snapshot); no record of another salesperson is read or returned
                outcomes_by_company[company.id] = company.sudo()._bndu_outcomes()
            lead.bndu_grade_win_rate, lead.bndu_insight = lead._bndu_explain(
                outcomes_by_company[company.id]
            )

    def _bndu_explain(self, outcomes):
        """``(grade win rate, one-line explanation)`` of this lead under ``outcomes``
        (``crm.grade.calibration._outcomes``)."""
        self.ensure_one()
        grade_label = dict(self._fields["bndu_grade"]._description_selection(self.env))[
            self.bndu_grade
        ]
        closed, won = outcomes.get(("grade", self.bndu_grade), (0, 0))
        if closed < MIN_CLOSED_DEALS:
            return 0.0, _(
                "Not enough closed deals yet to measure %(grade)s (%(closed)s closed, "
                "%(needed)s needed).",
                grade=grade_label,
                closed=closed,
                needed=MIN_CLOSED_DEALS,
            )
        grade_rate = rate(closed, won)
        criterion = self._bndu_strongest_criterion(outcomes)
        if not criterion:
            return grade_rate, _(
                "%(grade)s: %(rate)s %% of the company's closed deals of this grade were "
                "won (%(won)s of %(closed)s).",
                grade=grade_label,
                rate=round(grade_rate),
                won=won,
                closed=closed,
            )
        score = self[criterion]
        score_closed, score_won = outcomes.get((criterion, score), (0, 0))
        return grade_rate, _(
            "%(grade)s: %(rate)s %% of the company's closed deals of this grade were won "
            "(%(won)s of %(closed)s). %(criterion)s separates won from lost deals most: "
            "deals scored %(score)s on it were won %(score_rate)s %% of the time "
            "(%(score_closed)s closed).",
            grade=grade_label,
            rate=round(grade_rate),
            won=won,
            closed=closed,
            criterion=self._fields[criterion]._description_string(self.env),
            score=score,
            score_rate=round(rate(score_closed, score_won) or 0),
            score_closed=score_closed,
        )

    def _bndu_strongest_criterion(self, outcomes):
        """The criterion whose scores' win rates spread most (scores with enough closed
        deals only), among those this lead is scored on; None without enough history."""
        best = None
        for fname in BNDU_SCORE_FIELDS:
            if not self[fname]:
                continue
            rates = [
                rate(closed, won)
                for (dimension, _value), (closed, won) in outcomes.items()
                if dimension == fname and closed >= MIN_CLOSED_DEALS
            ]
            if len(rates) < 2:
                continue
            spread = max(rates) - min(rates)
            if best is None or spread > best[0]:
                best = (spread, fname)
        return best and best[1]
