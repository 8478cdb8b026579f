from . import crm_lead, res_company, res_config_settings
from . import crm_stage, crm_stage_checklist_item, crm_lead_checklist_line, crm_lead_stage_history
from . import crm_lead_gate
