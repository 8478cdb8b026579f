from . import (
    crm_funnel_demo,
    crm_funnel_review,
    crm_funnel_target,
    crm_grade_policy,
    crm_handover_task_template,
    crm_lead,
    crm_lead_cadence,
    crm_lead_checklist_line,
    crm_lead_followup,
    crm_lead_gate,
    crm_lead_handover,
    crm_lead_handover_service,
    crm_lead_stage_history,
    crm_stage,
    crm_stage_checklist_item,
    crm_team,
    mail_activity,
    project_task,
    res_company,
    res_company_cadence,
    res_company_handover,
    res_config_settings,
    res_config_settings_handover,
)
from . import (  # lead sources, screening, assignment, intake timeliness
    crm_lead_screening,
    crm_screening_rule,
    crm_team_assignment,
    crm_team_member,
    res_company_screening,
    res_config_settings_screening,
    utm_source,
)
from . import (  # stage time limits, the weighted forecast, the explained grade
    crm_lead_grade_insight,
    res_company_calibration,
    res_company_forecast,
    res_config_settings_forecast,
)
from . import (  # customer objections answered within 24 h
    crm_lead_objection,
    crm_lead_objections,
    crm_objection_type,
    res_company_objection,
    res_config_settings_objection,
)
from . import (  # post-sale care, satisfaction and repurchase
    crm_lead_care,
    crm_lead_care_cadence,
    res_company_care,
    res_config_settings_care,
    res_partner,
)
from . import (  # checklist item owners, deadlines and approval requests
    crm_lead_checklist_approval,
    crm_lead_checklist_owner,
    crm_lead_checklist_owners,
    crm_stage_checklist_item_owner,
)
from . import (  # the escalation ladder
    crm_escalation_rule,
    crm_lead_escalation,
    crm_lead_escalation_sweep,
    crm_lead_escalations,
)
