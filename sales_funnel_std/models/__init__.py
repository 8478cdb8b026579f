from . import crm_lead, res_company, res_config_settings
from . import res_company_handover, res_config_settings_handover
from . import crm_handover_task_template, crm_lead_handover, project_task
