import { Component, onWillStart, useState } from "@odoo/owl";
import { FileInput } from "@web/core/file_input/file_input";
import { formatDate, formatDateTime } from "@web/core/l10n/dates";
import { _t } from "@web/core/l10n/translation";
import { RPCError } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import { user } from "@web/core/user";
import { useFileUploader } from "@web/core/utils/files";
import { useService } from "@web/core/utils/hooks";
import { standardFieldProps } from "@web/views/fields/standard_field_props";
import { FormViewDialog } from "@web/views/view_dialogs/form_view_dialog";

const MANAGER_GROUP = "sales_team.group_sale_manager";
const UPLOAD_ROUTE = "/web/binary/upload_attachment";
// guidance longer than this is folded to three lines (a click unfolds it)
const LONG_GUIDANCE = 280;

/**
 * The lead's Checklist tab as a checklist (crm.lead.checklist_line_ids): the items grouped
 * by stage (the current stage first and highlighted, past stages folded, later ones
 * dimmed), each with its guidance, one click to tick, a drop zone for document items, the
 * template to download, the customer's confirmation, the "not applicable" state.
 *
 * Every change goes through the server, which keeps all the rules (who may tick what,
 * documents done by their evidence, managers only for "not applicable"): the widget saves
 * the lead first when it has unsaved changes, calls the line, shows the server's
 * (translated) refusal as a notification and reloads the lead (progress, gate badge).
 *
 * Fields another branch may add to the line (owner_id, deadline, is_overdue,
 * approval_state, approval_comment) show only when the view loads them.
 */
export class FunnelChecklistField extends Component {
    static template = "sales_funnel_std.FunnelChecklistField";
    static components = { FileInput };
    static props = { ...standardFieldProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.dialog = useService("dialog");
        this.notification = useService("notification");
        this.uploadFiles = useFileUploader();
        this.state = useState({
            folded: {}, // stage id → folded (user's choice; default: past stages folded)
            openGuidance: {}, // line id → long guidance unfolded
            dropLineId: false, // the document item a file is dragged over
            busyLineId: false,
        });
        this.isManager = false;
        onWillStart(async () => {
            this.isManager = await user.hasGroup(MANAGER_GROUP);
        });
    }

    // ------------------------------------------------------------------
    // Data
    // ------------------------------------------------------------------

    get list() {
        return this.props.record.data[this.props.name];
    }

    /** Whether the loaded lines carry ``fieldName`` (fields of other branches). */
    has(fieldName) {
        return fieldName in this.list.activeFields;
    }

    get kindLabels() {
        return Object.fromEntries(this.list.fields.kind.selection || []);
    }

    get approvalLabels() {
        return Object.fromEntries(
            (this.has("approval_state") && this.list.fields.approval_state.selection) || []
        );
    }

    /** The lines grouped by stage: current stage first, then by stage sequence. */
    get groups() {
        const byStage = new Map();
        for (const line of this.list.records) {
            const stage = line.data.stage_id;
            const stageId = stage ? stage.id : 0;
            if (!byStage.has(stageId)) {
                byStage.set(stageId, {
                    stageId,
                    name: stage ? stage.display_name : "",
                    sequence: line.data.stage_sequence,
                    isCurrent: false,
                    lines: [],
                });
            }
            const group = byStage.get(stageId);
            group.isCurrent ||= line.data.is_current_stage;
            group.lines.push(line);
        }
        const groups = [...byStage.values()];
        const current = groups.find((group) => group.isCurrent);
        for (const group of groups) {
            const open = group.lines.filter((line) => this.isOpenRequired(line)).length;
            group.required = group.lines.filter((line) => line.data.required).length;
            group.done = group.required - open;
            group.isPast = Boolean(current) && !group.isCurrent && group.sequence < current.sequence;
            group.isFuture =
                Boolean(current) && !group.isCurrent && group.sequence > current.sequence;
        }
        return groups.sort(
            (a, b) => b.isCurrent - a.isCurrent || a.sequence - b.sequence || a.stageId - b.stageId
        );
    }

    isFolded(group) {
        const folded = this.state.folded[group.stageId];
        return folded === undefined ? group.isPast : folded;
    }

    isOpenRequired(line) {
        return line.data.required && !line.data.is_done && !line.data.not_applicable;
    }

    lineClass(line) {
        return {
            o_funnel_checklist_done: line.data.is_done,
            o_funnel_checklist_na: line.data.not_applicable,
            o_funnel_checklist_open: this.isOpenRequired(line),
            o_funnel_checklist_overdue: this.has("is_overdue") && line.data.is_overdue,
            o_funnel_checklist_dragover: this.state.dropLineId === line.resId,
        };
    }

    checkTitle(line) {
        const kind = line.data.kind;
        if (line.data.not_applicable) {
            return _t("Not applicable");
        }
        if (kind === "document") {
            return _t("Done when the document is attached");
        }
        if (kind === "field") {
            return _t("Done when the lead field is set");
        }
        if (kind === "approval") {
            return _t("A sales manager ticks this item");
        }
        return line.data.is_done ? _t("Untick") : _t("Tick");
    }

    isLongGuidance(line) {
        const text = line.data.guidance || "";
        return text.length > LONG_GUIDANCE || text.split("\n").length > 4;
    }

    many2oneName(value) {
        return value ? value.display_name : "";
    }

    formatDate(value) {
        return value ? formatDate(value) : "";
    }

    formatDateTime(value) {
        return value ? formatDateTime(value) : "";
    }

    doneText(line) {
        if (!line.data.is_done || !line.data.done_user_id) {
            return "";
        }
        return _t("Done by %(user)s on %(date)s", {
            user: this.many2oneName(line.data.done_user_id),
            date: this.formatDateTime(line.data.done_date),
        });
    }

    confirmationLabel(line) {
        return line.data.document_role === "minutes"
            ? _t("Signed by")
            : _t("Confirmed by customer contact");
    }

    attachmentUrl(attachment) {
        return `/web/content/${attachment.resId}?download=true`;
    }

    templateUrl(line) {
        const params = new URLSearchParams({
            model: "crm.lead.checklist.line",
            id: line.resId,
            field: "template_file",
            filename_field: "template_filename",
            download: "true",
        });
        return `/web/content?${params}`;
    }

    get readonly() {
        return this.props.readonly;
    }

    // ------------------------------------------------------------------
    // Server calls
    // ------------------------------------------------------------------

    /**
     * Run ``callback`` on the saved lead, then reload the lead; the server's refusal
     * (access, validation) is shown as a notification, nothing is changed.
     */
    async run(line, callback) {
        const record = this.props.record;
        if (this.state.busyLineId) {
            return;
        }
        if ((await record.isDirty()) && !(await record.save())) {
            return;
        }
        this.state.busyLineId = line ? line.resId : true;
        try {
            await callback();
        } catch (error) {
            // the server's refusal (access, validation): its translated message
            if (!(error instanceof RPCError) || !error.exceptionName) {
                throw error;
            }
            this.notification.add(error.data.message, {
                title: _t("Checklist"),
                type: "danger",
            });
        } finally {
            this.state.busyLineId = false;
        }
        await record.load();
    }

    writeLine(line, values) {
        return this.orm.write("crm.lead.checklist.line", [line.resId], values);
    }

    async callLine(line, method) {
        let closed;
        const result = await this.orm.call("crm.lead.checklist.line", method, [[line.resId]]);
        if (result && typeof result === "object") {
            const done = new Promise((resolve) => (closed = resolve));
            await this.action.doAction(result, { onClose: () => closed() });
            if (result.target === "new") {
                await done;
            }
        }
    }

    onToggle(line) {
        if (this.readonly || line.data.not_applicable) {
            return;
        }
        return this.run(line, () => this.writeLine(line, { is_done: !line.data.is_done }));
    }

    onToggleStage(group) {
        this.state.folded[group.stageId] = !this.isFolded(group);
    }

    onToggleGuidance(line) {
        this.state.openGuidance[line.resId] = !this.state.openGuidance[line.resId];
    }

    async onUploaded(line, files) {
        const failed = files.find((file) => file.error);
        if (failed) {
            this.notification.add(failed.error, { title: _t("Uploading error"), type: "danger" });
            return;
        }
        await this.linkFiles(line, files);
    }

    linkFiles(line, files) {
        return this.run(line, () =>
            this.writeLine(line, {
                attachment_ids: files.map((file) => [4, file.id]),
            })
        );
    }

    onRemoveAttachment(line, attachment) {
        return this.run(line, () =>
            this.writeLine(line, { attachment_ids: [[3, attachment.resId]] })
        );
    }

    isDropTarget(line) {
        return !this.readonly && line.data.kind === "document" && !line.data.not_applicable;
    }

    onDragOver(ev, line) {
        if (!this.isDropTarget(line) || !ev.dataTransfer?.types.includes("Files")) {
            return;
        }
        ev.preventDefault();
        ev.dataTransfer.dropEffect = "copy";
        this.state.dropLineId = line.resId;
    }

    onDragLeave(ev, line) {
        if (!ev.currentTarget.contains(ev.relatedTarget) && this.state.dropLineId === line.resId) {
            this.state.dropLineId = false;
        }
    }

    async onDrop(ev, line) {
        if (!this.isDropTarget(line)) {
            return;
        }
        ev.preventDefault();
        this.state.dropLineId = false;
        const files = [...(ev.dataTransfer?.files || [])];
        if (!files.length) {
            return;
        }
        // the file belongs to the lead (the line links it there anyway)
        const uploaded = await this.uploadFiles(UPLOAD_ROUTE, {
            csrf_token: odoo.csrf_token,
            ufile: files,
            model: "crm.lead",
            id: this.props.record.resId,
        });
        if (uploaded) {
            await this.onUploaded(line, uploaded);
        }
    }

    onOpenDetails(line) {
        return this.run(line, async () => {
            let closed;
            const done = new Promise((resolve) => (closed = resolve));
            this.dialog.add(
                FormViewDialog,
                {
                    resModel: "crm.lead.checklist.line",
                    resId: line.resId,
                    title: line.data.name,
                    context: {
                        form_view_ref: "sales_funnel_std.crm_lead_checklist_line_view_form",
                    },
                    canExpand: false,
                },
                { onClose: () => closed() }
            );
            await done;
        });
    }

    onNotApplicable(line) {
        return this.run(line, () => this.callLine(line, "action_open_not_applicable"));
    }

    onApplicable(line) {
        return this.run(line, () => this.callLine(line, "action_set_applicable"));
    }

    onApproval(line, method) {
        return this.run(line, () => this.callLine(line, method));
    }
}

export const funnelChecklistField = {
    component: FunnelChecklistField,
    displayName: _t("Funnel checklist"),
    supportedTypes: ["one2many"],
    useSubView: true,
};

registry.category("fields").add("funnel_checklist", funnelChecklistField);
