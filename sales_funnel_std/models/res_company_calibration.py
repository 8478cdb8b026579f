from odoo import api, fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    # Win rates of the closed deals per grade and criterion score, refreshed daily by
    # _cron_refresh_bndu_outcomes: the lead form explains its grade without scanning the
    # company's deals at each display
    bndu_outcomes = fields.Json(readonly=True, copy=False)
    bndu_outcomes_date = fields.Datetime("Win Rates Updated On", readonly=True, copy=False)

    def _bndu_outcomes(self):
        """``{(dimension, value): (closed, won)}`` of this company: the daily snapshot, or
        computed now when there is none yet (a new company, before the first cron run)."""
        self.ensure_one()
        if self.bndu_outcomes_date:
            return {
                (dimension, value): tuple(figures)
                for dimension, values in (self.bndu_outcomes or {}).items()
                for value, figures in values.items()
            }
        return self.env["crm.grade.calibration"]._outcomes_by_company(self)[self.id]

    @api.model
    def _cron_refresh_bndu_outcomes(self):
        """Snapshot the win rates of every company (one scan of the leads)."""
        companies = self.search([])
        outcomes = self.env["crm.grade.calibration"]._outcomes_by_company(companies)
        now = fields.Datetime.now()
        for company in companies:
            snapshot = {}
            for (dimension, value), figures in outcomes[company.id].items():
                snapshot.setdefault(dimension, {})[value] = list(figures)
            company.write({"bndu_outcomes": snapshot, "bndu_outcomes_date": now})
