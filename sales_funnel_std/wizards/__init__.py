from . import crm_funnel_apply, crm_lead_gate_override
