"""19.0.1.4.0: checklist items have an owner (the salesperson by default).

Lines created before owners existed belong to the lead's salesperson, as every item did
until now: set it once, so they appear in the salesperson's *My Checklist Items*.
"""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE crm_lead_checklist_line line
               SET owner_id = lead.user_id
              FROM crm_lead lead
             WHERE lead.id = line.lead_id AND line.owner_id IS NULL
               AND lead.user_id IS NOT NULL
            """
        )
    )
