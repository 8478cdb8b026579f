import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";

/**
 * The manager's weekly review as a picture (CRM → Reporting → Funnel Dashboard): the
 * standard funnel top to bottom, width by leads reached, conversion and losses written
 * on it, the bottleneck stage highlighted; beside it the period's KPIs against the
 * previous period, days in stage against the limits and the per-person table.
 *
 * Every figure comes from one call (crm.funnel.dashboard.get_dashboard_data) per filter
 * change; a click on a figure opens the leads behind it (action_open_leads).
 */
export class FunnelDashboard extends Component {
    static template = "sales_funnel_std.FunnelDashboard";
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        const saved = this.props.state && this.props.state.filters;
        this.state = useState({
            filters: saved || { period: "month" },
            data: null,
            sortKey: "reached",
            sortDesc: true,
        });
        this.periods = [
            ["week", _t("This Week")],
            ["month", _t("This Month")],
            ["quarter", _t("This Quarter")],
            ["custom", _t("Custom")],
        ];
        useSetupAction({ getLocalState: () => ({ filters: this.state.filters }) });
        onWillStart(() => this.load());
    }

    async load() {
        const data = await this.orm.call("crm.funnel.dashboard", "get_dashboard_data", [
            this.state.filters,
        ]);
        this.state.data = data;
        const { period, date_from, date_to } = data.filters;
        Object.assign(this.state.filters, { period, date_from, date_to });
    }

    // ------------------------------------------------------------ filters

    async setFilter(key, value) {
        const filters = { ...this.state.filters };
        filters[key] = value === "" ? false : value;
        if (["team_id", "user_id", "source_id"].includes(key) && filters[key]) {
            filters[key] = parseInt(filters[key]);
        }
        if (key === "period" && value !== "custom") {
            delete filters.date_from;
            delete filters.date_to;
        }
        this.state.filters = filters;
        if (filters.period !== "custom" || (filters.date_from && filters.date_to)) {
            await this.load();
        }
    }

    // ------------------------------------------------------------ figures

    get stages() {
        const stages = this.state.data.current.stages;
        const top = Math.max(stages[0].reached, 1);
        return stages.map((stage) => ({
            ...stage,
            width: Math.max((100 * stage.reached) / top, 12),
            isBottleneck: stage.role === this.state.data.bottleneck,
        }));
    }

    get kpis() {
        const { current, previous } = this.state.data;
        return [
            { key: "total", label: _t("Leads"), kind: "reached", value: current.total, before: previous.total, int: true },
            { key: "won", label: _t("Won Deals"), kind: "won", value: current.won, before: previous.won, int: true },
            { key: "win_rate", label: _t("Win Rate"), kind: "won", value: current.win_rate, before: previous.win_rate },
            { key: "a_win_rate", label: _t("A-Grade Conversion"), kind: "won", grade: "a", value: current.a_win_rate, before: previous.a_win_rate },
            { key: "sla_rate", label: _t("First-Contact SLA"), kind: "sla_breached", value: current.sla_rate, before: previous.sla_rate },
            { key: "followup_rate", label: _t("Follow-ups Done"), kind: false, value: current.followup_rate, before: previous.followup_rate },
        ];
    }

    get people() {
        const { sortKey, sortDesc } = this.state;
        const rows = [...this.state.data.people];
        rows.sort((a, b) => {
            const x = a[sortKey] ?? -1;
            const y = b[sortKey] ?? -1;
            const order = typeof x === "string" ? x.localeCompare(y) : x - y;
            return sortDesc ? -order : order;
        });
        return rows;
    }

    sortBy(key) {
        if (this.state.sortKey === key) {
            this.state.sortDesc = !this.state.sortDesc;
        } else {
            this.state.sortKey = key;
            this.state.sortDesc = key !== "name";
        }
    }

    percent(value) {
        return value === null || value === undefined ? "–" : `${value.toFixed(1)} %`;
    }

    days(value) {
        return value === null || value === undefined ? "–" : value.toFixed(1);
    }

    delta(kpi) {
        const before = kpi.int ? kpi.before : this.percent(kpi.before);
        return _t("Previous period: %(value)s", { value: before ?? "–" });
    }

    get periodSentence() {
        const { period_label, previous_label } = this.state.data;
        return _t("Leads created %(period)s, compared with %(previous)s.", {
            period: period_label,
            previous: previous_label,
        });
    }

    converted(stage) {
        return _t("%(rate)s converted", { rate: this.percent(stage.conversion) });
    }

    lostHere(stage) {
        return _t("%(count)s lost here", { count: stage.lost });
    }

    baseline(stage) {
        const rate = this.percent(stage.baseline);
        return stage.baseline_kind === "target"
            ? _t("Target: %(rate)s", { rate })
            : _t("Previous period: %(value)s", { value: rate });
    }

    // ------------------------------------------------------------ actions

    async openLeads(kind, role = false, userId = undefined, grade = false) {
        if (!kind) {
            return;
        }
        const filters = grade ? { ...this.state.filters, grade } : this.state.filters;
        const args = [filters, kind, role || null];
        if (userId !== undefined) {
            args.push(userId);
        }
        const action = await this.orm.call("crm.funnel.dashboard", "action_open_leads", args);
        await this.action.doAction(action);
    }

    async exportXlsx() {
        const action = await this.orm.call("crm.funnel.dashboard", "action_export", [
            this.state.filters,
        ]);
        await this.action.doAction(action);
    }

    print() {
        window.print();
    }
}

registry.category("actions").add("sales_funnel_std.funnel_dashboard", FunnelDashboard);
