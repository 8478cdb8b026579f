from collections import defaultdict
from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .crm_lead import BNDU_SCORE_FIELDS

# demo only: BNDU scores of CRM's own demo opportunities, after their priority (stars)
SCORES_BY_PRIORITY = {
    "3": ("5", "5", "4", "4"),
    "2": ("4", "4", "3", "3"),
    "1": ("3", "3", "2", "2"),
    "0": ("2", "2", "1", "2"),
}


class CrmLead(models.Model):
    _inherit = "crm.lead"

    @api.model
    def _funnel_demo_score_crm_demo(self):
        """Demo data only: score CRM's own demo opportunities past lead acquisition.

        ``demo/crm_funnel_apply_demo.xml`` moved them onto the standard stages; scored
        here through the ORM (grade, cadence), from their priority, so that the demo
        pipeline shows no ungraded deal in a later stage. Called once from that file.
        """
        data = self.env["ir.model.data"].search(
            [("module", "=", "crm"), ("model", "=", "crm.lead")]
        )
        leads = (
            self.browse(data.mapped("res_id"))
            .exists()
            .filtered(
                lambda lead: (
                    lead.type == "opportunity"
                    and lead.stage_id.funnel_role not in (False, "acquisition")
                    and lead.bndu_grade == "none"
                )
            )
        )
        by_priority = defaultdict(lambda: self.browse())
        for lead in leads:
            by_priority[lead.priority or "0"] |= lead
        for priority, group in by_priority.items():
            scores = SCORES_BY_PRIORITY.get(priority, SCORES_BY_PRIORITY["0"])
            group.write(dict(zip(BNDU_SCORE_FIELDS, scores, strict=True)))
        return True

    @api.model
    def _funnel_demo_backdate(self, plan):
        """Demo data only: make demo leads look as if they had lived for months.

        ``plan``: ``{lead_id: [days_ago, ...]}``, how many days ago the lead entered
        each of its stays in the stage history, oldest first (the first value is also
        the lead's creation). Rewrites the dates the product recorded while the demo
        data moved the leads through the real paths (gate, history, cadence): history
        stays and their durations, creation / stage / closing dates, and, for a
        first contact still pending, the SLA deadline and its activity shifted back by
        the lead's age. Called once from ``demo/crm_lead_demo.xml``; never from code.
        """
        now = fields.Datetime.now().replace(microsecond=0)
        self.env.flush_all()
        cr = self.env.cr
        for lead_id, offsets in plan.items():
            dates = [now - timedelta(days=days) for days in offsets]
            cr.execute(
                SQL(
                    "SELECT id FROM crm_lead_stage_history WHERE lead_id = %s ORDER BY date_in, id",
                    int(lead_id),
                )
            )
            stay_ids = [row[0] for row in cr.fetchall()]
            for index, stay_id in enumerate(stay_ids):
                date_in = dates[min(index, len(dates) - 1)]
                date_out = dates[index + 1] if index + 1 < len(stay_ids) else None
                cr.execute(
                    SQL(
                        """
                        UPDATE crm_lead_stage_history
                           SET date_in = %(date_in)s, date_out = %(date_out)s,
                               duration_days = EXTRACT(EPOCH FROM (%(date_out)s::timestamp
                                                - %(date_in)s::timestamp)) / 86400.0
                         WHERE id = %(id)s
                        """,
                        date_in=date_in,
                        date_out=date_out,
                        id=stay_id,
                    )
                )
            age = timedelta(days=offsets[0])
            cr.execute(
                SQL(
                    """
                    UPDATE crm_lead
                       SET create_date = %(created)s, date_open = %(created)s,
                           date_last_stage_update = %(entered)s,
                           date_closed = CASE WHEN date_closed IS NOT NULL
                                              THEN %(entered)s END,
                           sla_deadline = CASE WHEN sla_state = 'pending'
                                               THEN sla_deadline - %(age)s
                                               ELSE sla_deadline END
                     WHERE id = %(id)s
                    """,
                    created=dates[0],
                    entered=dates[-1],
                    age=age,
                    id=int(lead_id),
                )
            )
            cr.execute(
                SQL(
                    """
                    UPDATE mail_activity
                       SET date_deadline = date_deadline - %(days)s
                     WHERE res_model = 'crm.lead' AND res_id = %(id)s
                       AND funnel_cadence = 'first_contact' AND active
                    """,
                    days=offsets[0],
                    id=int(lead_id),
                )
            )
        self.env.invalidate_all()
        return True
