import { CrmKanbanDynamicGroupList } from "@crm/views/crm_kanban/crm_kanban_model";
import "@crm/views/crm_form/crm_form";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";
import { FormController } from "@web/views/form/form_controller";

/**
 * "Won opens the handover wizard" (Settings): after the Won button, a card dragged into a
 * won column or a won stage clicked in the form's status bar. The Won button's method
 * returns what CRM returns (its rainbow man), so the wizard is asked for afterwards; the
 * server decides whether it is due (crm.lead.get_funnel_handover_action).
 */
async function openHandoverIfDue(model, resId, onClose) {
    const action = await model.orm.call("crm.lead", "get_funnel_handover_action", [[resId]]);
    if (action) {
        await model.env.services.action.doAction(action, { onClose });
    }
}

patch(CrmKanbanDynamicGroupList.prototype, {
    async moveRecord(dataRecordId, dataGroupId, refId, targetGroupId) {
        await super.moveRecord(...arguments);
        const targetGroup = this.groups.find((group) => group.id === targetGroupId);
        if (dataGroupId === targetGroupId || targetGroup?.groupByField.name !== "stage_id") {
            return;
        }
        // not there when the move was refused (stage gate): nothing to hand over
        const record = targetGroup.list.records.find((r) => r.id === dataRecordId);
        if (record) {
            await openHandoverIfDue(this.model, record.resId, () => this.model.load());
        }
    },
});

patch(registry.category("views").get("crm_form").Model.Record.prototype, {
    async _save() {
        const stageChanged =
            this.resModel === "crm.lead" &&
            "stage_id" in this._changes &&
            this._values.stage_id !== this.data.stage_id;
        const saved = await super._save(...arguments);
        if (saved && stageChanged) {
            await openHandoverIfDue(this.model, this.resId, () => this.load());
        }
        return saved;
    },
});

patch(FormController.prototype, {
    async afterExecuteActionButton(clickParams) {
        await super.afterExecuteActionButton(...arguments);
        const record = this.model.root;
        if (record.resModel === "crm.lead" && clickParams.name === "action_set_won_rainbowman") {
            await openHandoverIfDue(this.model, record.resId, () => record.load());
        }
    },
});
