import { Component, onWillStart, useState } from "@odoo/owl";
import { crmKanbanView } from "@crm/views/crm_kanban/crm_kanban_view";
import { useService } from "@web/core/utils/hooks";
import { patch } from "@web/core/utils/patch";

/**
 * One line above the CRM pipeline, for sales managers only, while some team (or the
 * company's leads without team) has not adopted the standard funnel: its checklists are
 * advisory there. The server decides (crm.team.get_funnel_adoption_prompt) and gives the
 * action that adopts it ("Apply the Standard Funnel").
 */
export class FunnelAdoptionPrompt extends Component {
    static template = "sales_funnel_std.FunnelAdoptionPrompt";
    static props = {};

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ prompt: false });
        onWillStart(async () => {
            this.state.prompt = await this.orm.call("crm.team", "get_funnel_adoption_prompt", []);
        });
    }

    async adopt() {
        await this.action.doAction(this.state.prompt.action);
    }

    dismiss() {
        this.state.prompt = false;
    }
}

const Controller = crmKanbanView.Controller;
patch(Controller, {
    template: "sales_funnel_std.CrmKanbanView",
    components: { ...Controller.components, FunnelAdoptionPrompt },
});
