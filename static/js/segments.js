/* The segment builder (会员筛选): AND/OR groups of conditions, edited as a tree and sent as JSON.
   The count of matching members is asked of the API (POST /segments/preview) a moment after each change;
   a definition the server refuses shows its reason instead of a count. Amounts are typed in yuan and
   sent in fen (as text arithmetic, never floats). */
(function () {
  "use strict";

  const MAX_DEPTH = 3;

  function csrf() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function yuanToFen(text) {
    const match = String(text).trim().match(/^(\d{1,12})(?:\.(\d{1,2}))?$/);
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt((match[2] || "").padEnd(2, "0") || "0", 10);
  }

  function fenToYuan(fen) {
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    const cents = abs % 100;
    return sign + Math.floor(abs / 100) + (cents ? "." + String(cents).padStart(2, "0") : "");
  }

  window.segmentBuilder = function (config, initial) {
    let nextKey = 1;
    const fields = Object.fromEntries(config.fields.map((f) => [f.field, f]));

    // The editable tree: groups {key, match, items}, conditions {key, field, op, text, values, days}.
    function toNode(item) {
      if (item && Array.isArray(item.conditions)) {
        return {key: nextKey++, group: true, match: item.match === "any" ? "any" : "all", items: item.conditions.map(toNode)};
      }
      const f = fields[item.field] || config.fields[0];
      const values = item.op === "in" && Array.isArray(item.value) ? item.value.map(String) : [];
      let text = item.op === "in" ? "" : (item.value === undefined ? "" : String(item.value));
      if (f.kind === "money" && item.op !== "in" && item.value !== undefined) text = fenToYuan(item.value);
      return {key: nextKey++, group: false, field: f.field, op: item.op || f.ops[0], text: text, values: values,
              days: item.days ? String(item.days) : "30"};
    }

    function value(node) {
      const f = fields[node.field];
      const convert = (raw) => {
        if (f.kind === "money") return yuanToFen(raw);
        if (f.kind === "number" || f.kind === "id") return /^-?\d+$/.test(String(raw).trim()) ? parseInt(raw, 10) : raw;
        if (f.kind === "bool") return raw === true || raw === "true";
        return raw;
      };
      if (node.op === "in") return node.values.map(convert);
      return convert(node.text);
    }

    function toJson(node) {
      if (node.group) return {match: node.match, conditions: node.items.map(toJson)};
      const out = {field: node.field, op: node.op, value: value(node)};
      if (fields[node.field].days) out.days = parseInt(node.days, 10) || 0;
      return out;
    }

    return {
      config: config, t: config.t, root: toNode(initial && initial.conditions ? initial : {match: "all", conditions: []}),
      count: null, problem: "", counting: false, seq: 0, timer: null,

      init() { this.recount(); },
      field(node) { return fields[node.field]; },
      groups() {
        const out = {};
        config.fields.forEach((f) => { (out[f.group] = out[f.group] || []).push(f); });
        return Object.entries(out);
      },
      addCondition(group) {
        const f = config.fields[0];
        group.items.push({key: nextKey++, group: false, field: f.field, op: f.ops[0], text: "", values: [], days: "30"});
        this.recount();
      },
      addGroup(group) {
        group.items.push({key: nextKey++, group: true, match: group.match === "all" ? "any" : "all", items: []});
        this.addCondition(group.items[group.items.length - 1]);
      },
      canNest(depth) { return depth < MAX_DEPTH; },
      remove(group, node) { group.items.splice(group.items.indexOf(node), 1); this.recount(); },
      fieldChanged(node) {
        const f = this.field(node);
        if (!f.ops.includes(node.op)) node.op = f.ops[0];
        node.text = f.kind === "bool" ? "true" : ""; node.values = [];
        this.recount();
      },
      toggleValue(node, v) {
        const i = node.values.indexOf(v);
        if (i >= 0) node.values.splice(i, 1); else node.values.push(v);
        this.recount();
      },
      definition() { return toJson(this.root); },
      get json() { return JSON.stringify(this.definition()); },
      recount() {
        clearTimeout(this.timer);
        const seq = ++this.seq;
        this.counting = true;
        this.timer = setTimeout(async () => {
          try {
            const response = await fetch(config.preview, {
              method: "POST", credentials: "same-origin",
              headers: {"Content-Type": "application/json", "X-CSRFToken": csrf()},
              body: JSON.stringify(this.definition()),
            });
            const data = await response.json().catch(() => null);
            if (seq !== this.seq) return;
            if (response.ok) { this.count = data.count; this.problem = ""; }
            else { this.count = null; this.problem = data && data.error ? data.error.message : String(response.status); }
          } catch (e) {
            if (seq === this.seq) { this.count = null; this.problem = e.message; }
          }
          if (seq === this.seq) this.counting = false;
        }, 250);
      },
    };
  };
})();
