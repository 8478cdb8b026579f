from . import crm_lead, res_company, res_config_settings
from . import mail_activity, crm_grade_policy, crm_lead_followup, crm_lead_cadence, res_company_cadence
