from . import crm_bndu_rules
from . import crm_lead_followup_wizard
from . import funnel_export
