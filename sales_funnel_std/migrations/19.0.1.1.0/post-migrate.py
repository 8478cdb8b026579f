"""19.0.1.1.0: the standard proposal document counts as a submitted proposal (targets).

The stage data is ``noupdate``: name the document role on the standard item of an
existing database once, unless an admin already gave that item a role.
"""

from odoo.tools import SQL


def migrate(cr, version):
    cr.execute(
        SQL(
            """
            UPDATE crm_stage_checklist_item item SET document_role = 'proposal'
              FROM ir_model_data imd
             WHERE imd.module = 'sales_funnel_std'
               AND imd.name = 'crm_stage_checklist_item_proposal_document'
               AND imd.model = 'crm.stage.checklist.item' AND imd.res_id = item.id
               AND item.document_role IS NULL AND item.kind = 'document'
            """
        )
    )
    cr.execute(
        SQL(
            """
            UPDATE crm_lead_checklist_line line SET document_role = 'proposal'
              FROM crm_stage_checklist_item item
             WHERE line.item_id = item.id AND item.document_role = 'proposal'
               AND line.document_role IS NULL
            """
        )
    )
