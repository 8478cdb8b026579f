from . import (
    crm_lead,
    crm_lead_checklist_line,
    crm_lead_gate,
    crm_lead_stage_history,
    crm_stage,
    crm_stage_checklist_item,
    res_company,
    res_config_settings,
)
