from . import crm_bndu_rules
from . import crm_funnel_apply
from . import crm_lead_followup_wizard
from . import crm_lead_gate_override
from . import funnel_export
from . import crm_lead_handover
from . import crm_funnel_target_split
from . import crm_lead_checklist_line_na
