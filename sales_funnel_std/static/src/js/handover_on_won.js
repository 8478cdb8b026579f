import { CrmKanbanDynamicGroupList } from "@crm/views/crm_kanban/crm_kanban_model";
import "@crm/views/crm_form/crm_form";
import { registry } from "@web/core/registry";
import { patch } from "@web/core/utils/patch";

/**
 * "Won opens the handover wizard" (Settings) also applies when the lead is won without the
 * Won button: a card dragged into a won column, a won stage clicked in the form's status
 * bar. The server decides whether the wizard is due (crm.lead.get_funnel_handover_action);
 * it opens after CRM's own won effect (rainbow man).
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
