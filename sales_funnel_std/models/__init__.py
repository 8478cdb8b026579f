from . import (
    crm_handover_task_template,
    crm_lead,
    crm_lead_handover,
    project_task,
    res_company,
    res_company_handover,
    res_config_settings,
    res_config_settings_handover,
)
