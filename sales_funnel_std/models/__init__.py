from . import (
    crm_grade_policy,
    crm_lead,
    crm_lead_cadence,
    crm_lead_followup,
    mail_activity,
    res_company,
    res_company_cadence,
    res_config_settings,
)
