/* The counter (收银台): an Alpine.js component on top of the REST API (session-authenticated).
   Prices are never computed here: every change of the cart asks POST /api/v1/orders/quote, the same
   pricing engine that checkout uses. Money typed in yuan is turned into fen as text, never as floats. */
(function () {
  "use strict";

  function yuanToFen(text) {
    const match = String(text || "").trim().match(/^(\d{1,9})(?:\.(\d{1,2}))?$/);
    if (!match) return null;
    return parseInt(match[1], 10) * 100 + parseInt((match[2] || "").padEnd(2, "0"), 10);
  }

  function fenToYuan(fen) {
    const sign = fen < 0 ? "-" : "";
    const abs = Math.abs(fen);
    const whole = Math.floor(abs / 100).toLocaleString("en-US");
    return sign + "¥" + whole + "." + String(abs % 100).padStart(2, "0");
  }

  function plainYuan(fen) {
    return (Math.floor(fen / 100)) + "." + String(fen % 100).padStart(2, "0");
  }

  function csrf() {
    const match = document.cookie.match(/(?:^|; )csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  function newKey() {
    if (window.crypto && window.crypto.randomUUID) return window.crypto.randomUUID();
    return String(Date.now()) + "-" + Math.random().toString(16).slice(2);
  }

  window.mendianPos = function (config, labels) {
    return {
      cfg: config, t: labels, fen: fenToYuan,
      query: "", category: null, cart: [], quote: null, error: "", notice: "", busy: false,
      member: null, memberQuery: "", memberResults: [], points: "", verifyCode: "", verifyOtp: "",
      payments: [], payKey: null, lastOrder: null, held: [], showHeld: false,
      panel: "", registerPhone: "", registerName: "", rechargePlan: "", rechargeAmount: "", rechargeMethod: "wechat",
      quoteTimer: null,

      init() {
        this.$nextTick(() => this.focusScan());
        document.addEventListener("keydown", (event) => this.shortcut(event));
      },
      shortcut(event) {
        const keys = {F2: () => this.focusScan(), F4: () => this.$refs.memberInput.focus(), F8: () => this.hold(),
          F9: () => this.pay(), Escape: () => { this.panel = ""; this.error = ""; this.focusScan(); }};
        if (keys[event.key]) { event.preventDefault(); keys[event.key](); }
      },
      focusScan() { if (this.$refs.scan) this.$refs.scan.focus(); },

      get visible() {
        const q = this.query.trim().toLowerCase();
        return this.cfg.products.filter((p) =>
          (this.category === null || p.category_id === this.category) &&
          (!q || p.name.toLowerCase().includes(q) || (p.barcode && p.barcode.includes(q)))).slice(0, 60);
      },
      scan() {
        const q = this.query.trim();
        if (!q) return;
        const exact = this.cfg.products.find((p) => p.barcode && p.barcode === q);
        const hits = this.visible;
        if (exact) this.add(exact);
        else if (hits.length === 1) this.add(hits[0]);
        else { this.notice = hits.length ? this.t.pick_one : this.t.nothing_found; return; }
        this.query = "";
      },
      add(product) {
        const line = this.cart.find((l) => l.product.id === product.id);
        if (line) line.qty += 1; else this.cart.push({product: product, qty: 1});
        this.notice = product.name + " +1";
        this.requote();
        this.focusScan();
      },
      setQty(line, qty) {
        qty = parseInt(qty, 10);
        if (!qty || qty < 1) this.cart = this.cart.filter((l) => l !== line);
        else line.qty = Math.min(qty, 9999);
        this.requote();
      },
      clear() {
        this.cart = []; this.member = null; this.points = ""; this.quote = null; this.payments = [];
        this.error = ""; this.payKey = null; this.verifyCode = ""; this.verifyOtp = "";
        this.focusScan();
      },

      body(withPayments) {
        const body = {store_id: this.cfg.store.id, lines: this.cart.map((l) => ({product_id: l.product.id, qty: l.qty}))};
        if (this.member) body.member_id = this.member.id;
        const points = parseInt(this.points, 10);
        if (points > 0) body.points = points;
        if (withPayments) {
          body.payments = this.payments.filter((p) => yuanToFen(p.amount)).map((p) => {
            const out = {method: p.method, amount_fen: yuanToFen(p.amount)};
            if (p.method === "cash" && yuanToFen(p.tendered)) out.tendered_fen = yuanToFen(p.tendered);
            return out;
          });
          if (this.verifyCode) body.verification = {member_code: this.verifyCode.trim()};
          else if (this.verifyOtp) body.verification = {otp: this.verifyOtp.trim()};
        }
        return body;
      },
      async api(method, path, body, key) {
        const headers = {"Content-Type": "application/json", "X-CSRFToken": csrf()};
        if (key) headers["Idempotency-Key"] = key;
        const response = await fetch(this.cfg.urls.api + path, {method: method, headers: headers,
          body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin"});
        const data = response.status === 204 ? null : await response.json().catch(() => null);
        if (!response.ok) {
          const message = data && data.error ? data.error.message : this.t.network_error;
          const fields = data && data.error && data.error.detail && data.error.detail.fields;
          throw new Error(fields && fields.length ? message + " " + fields.map((f) => f.message).join(" ") : message);
        }
        return data;
      },
      requote() {
        clearTimeout(this.quoteTimer);
        this.payKey = null;
        if (!this.cart.length) { this.quote = null; this.payments = []; return; }
        this.quoteTimer = setTimeout(async () => {
          try {
            this.quote = await this.api("POST", "/orders/quote", this.body(false));
            this.error = "";
            this.fillPayments();
          } catch (e) { this.error = e.message; }
        }, 120);
      },
      fillPayments() {
        if (!this.quote) return;
        if (this.payments.length <= 1) {
          const method = this.payments.length ? this.payments[0].method : "cash";
          this.payments = [{method: method, amount: plainYuan(this.quote.payable_fen), tendered: ""}];
        }
      },
      get paidFen() { return this.payments.reduce((sum, p) => sum + (yuanToFen(p.amount) || 0), 0); },
      get leftFen() { return this.quote ? this.quote.payable_fen - this.paidFen : 0; },
      get changeFen() {
        const cash = this.payments.find((p) => p.method === "cash");
        if (!cash || !yuanToFen(cash.tendered)) return 0;
        return Math.max(0, yuanToFen(cash.tendered) - (yuanToFen(cash.amount) || 0));
      },
      addPayment() {
        const used = this.payments.map((p) => p.method);
        const method = this.cfg.methods.map((m) => m.value).find((m) => !used.includes(m));
        if (!method) return;
        this.payments.push({method: method, amount: plainYuan(Math.max(this.leftFen, 0)), tendered: ""});
      },
      removePayment(index) { this.payments.splice(index, 1); },
      get needsVerification() {
        return this.cfg.store.verify && this.member &&
          ((parseInt(this.points, 10) > 0) || this.payments.some((p) => p.method === "stored_value"));
      },

      async pay() {
        if (!this.cart.length || this.busy) return;
        if (this.leftFen !== 0) { this.error = this.t.payments_must_match; return; }
        this.busy = true;
        this.payKey = this.payKey || newKey();  // a retry after a network error is the same sale
        try {
          const order = await this.api("POST", "/orders", this.body(true), this.payKey);
          this.lastOrder = order;
          this.notice = this.t.paid + " " + order.no + (order.change_fen ? " · " + this.t.change + " " + fenToYuan(order.change_fen) : "");
          const member = this.member;
          this.clear();
          if (member) this.refreshMember(member.id);
        } catch (e) { this.error = e.message; }
        this.busy = false;
      },
      receiptUrl(order, width) { return this.cfg.urls.receipt.replace("{id}", order.id) + "?width=" + width; },

      async findMember() {
        const q = this.memberQuery.trim();
        if (!q) return;
        try {
          const page = await this.api("GET", "/members?limit=10&q=" + encodeURIComponent(q));
          this.memberResults = page.items;
          if (page.items.length === 1) this.pickMember(page.items[0]);
          else if (!page.items.length) { this.notice = this.t.no_member; this.registerPhone = q; }
        } catch (e) { this.error = e.message; }
      },
      pickMember(member) {
        this.member = member; this.memberResults = []; this.memberQuery = ""; this.points = "";
        this.requote();
        this.focusScan();
      },
      dropMember() { this.member = null; this.points = ""; this.requote(); },
      async refreshMember(id) {
        try { this.member = await this.api("GET", "/members/" + id); } catch (e) { this.error = e.message; }
      },
      async sendCode() {
        try { await this.api("POST", "/members/" + this.member.id + "/payment-code", undefined, newKey());
              this.notice = this.t.code_sent; }
        catch (e) { this.error = e.message; }
      },
      async register() {
        try {
          const member = await this.api("POST", "/members", {phone: this.registerPhone, name: this.registerName,
            store_id: this.cfg.store.id, source: "counter"}, newKey());
          this.panel = ""; this.registerName = ""; this.pickMember(member);
          this.notice = this.t.registered;
        } catch (e) { this.error = e.message; }
      },
      async recharge() {
        const plan = this.cfg.plans.find((p) => String(p.id) === String(this.rechargePlan));
        const pay = plan ? plan.pay_fen : yuanToFen(this.rechargeAmount);
        if (!pay) { this.error = this.t.amount_needed; return; }
        const body = {store_id: this.cfg.store.id, pay_fen: pay, payment_method: this.rechargeMethod};
        if (plan) body.plan_id = plan.id;
        try {
          await this.api("POST", "/members/" + this.member.id + "/recharge", body, newKey());
          this.panel = ""; this.rechargeAmount = "";
          await this.refreshMember(this.member.id);
          this.notice = this.t.recharged + " " + fenToYuan(this.member.balance_fen);
          this.requote();
        } catch (e) { this.error = e.message; }
      },

      async hold() {
        if (!this.cart.length) return;
        try {
          await this.api("POST", "/held-orders", {store_id: this.cfg.store.id,
            member_id: this.member ? this.member.id : null, points: parseInt(this.points, 10) || 0,
            lines: this.cart.map((l) => ({product_id: l.product.id, qty: l.qty}))}, newKey());
          this.clear(); this.notice = this.t.held;
        } catch (e) { this.error = e.message; }
      },
      async loadHeld() {
        try { this.held = await this.api("GET", "/held-orders?store_id=" + this.cfg.store.id); this.showHeld = true; }
        catch (e) { this.error = e.message; }
      },
      async resume(held) {
        try {
          const taken = await this.api("POST", "/held-orders/" + held.id + "/resume", undefined, newKey());
          this.clear();
          this.cart = taken.cart.lines.map((l) => ({product: this.cfg.products.find((p) => p.id === l.product_id), qty: l.qty}))
            .filter((l) => l.product);
          if (taken.member_id) await this.refreshMember(taken.member_id);
          this.points = taken.cart.points ? String(taken.cart.points) : "";
          this.showHeld = false;
          this.requote();
        } catch (e) { this.error = e.message; }
      },
    };
  };
})();
