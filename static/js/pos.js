/* The counter (收银台): an Alpine.js component on top of the REST API (session-authenticated).
   Prices are never computed here: every change of the cart asks POST /api/v1/orders/quote, the same
   pricing engine that checkout uses. Money typed in yuan is turned into fen as text, never as floats.

   Made for a cashier with a barcode scanner: the scan field gets the focus back after every action,
   keys typed while no field has the focus go to it, and F2/F4/F8/F9/Esc work from anywhere.

   Coupons: with a member, the quote asks for "auto" (the server picks the best combination) until the
   cashier ticks or unticks one; from then on it sends the ids chosen (couponWanted). A chosen coupon the
   order does not reach yet stays chosen and applies once it does. The sale sends exactly the coupons the
   last quote applied, so the price charged is the price shown. A redeem code (核销码, 18 digits) typed or
   scanned into the scan field or the coupon field selects the coupon's member and ticks it.

   Cards (卡项): with a member, their cards usable in this store are listed with a one-tap "use one"
   (扫码核销, no sale); a service line the member's card holds can be paid by it (member_card_id): the
   quote prices that line at nothing and the sale uses the card in the order's transaction. */
(function () {
  "use strict";

  const NOTICE_MS = 4000;
  const COUPON_CODE = /^\d{18}$/;
  // Quote refusals about one of the chosen coupons: priced again without it.
  const COUPON_REFUSALS = ["coupon_not_applicable", "coupon_unavailable"];

  function localDay(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

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

  function isTyping(element) {
    if (!element) return false;
    return ["INPUT", "SELECT", "TEXTAREA"].includes(element.tagName) || element.isContentEditable;
  }

  // A phone or tablet: moving the focus would pop the on-screen keyboard up after every tap.
  const TOUCH = !!(window.matchMedia && window.matchMedia("(hover: none) and (pointer: coarse)").matches);

  window.mendianPos = function (config, labels) {
    return {
      cfg: config, t: labels, fen: fenToYuan,
      query: "", category: null, cart: [], quote: null, quoting: false, quoteSeq: 0, payAfterQuote: false,
      error: "", notice: "", noticeTimer: null, busy: false,
      member: null, memberQuery: "", memberResults: [], points: "", verifyCode: "", verifyOtp: "",
      payments: [], payKey: null, lastOrder: null, held: [], showHeld: false,
      panel: "", registerPhone: "", registerName: "", rechargePlan: "", rechargeAmount: "", rechargeMethod: "wechat",
      quoteTimer: null, payButtonSeen: false, errorFrom: "",
      couponMode: "auto", couponWanted: [], couponPick: null, couponCode: "", quoteWaiters: [],
      memberCards: [],

      init() {
        this.$nextTick(() => this.focusScan());
        document.addEventListener("keydown", (event) => this.shortcut(event));
        // The phone's bottom bar steps aside once the pay button itself is on screen.
        if (window.IntersectionObserver && this.$refs.payButton) {
          // Several changes can come in one call, oldest first: the last one is the current state.
          new IntersectionObserver((entries) => { this.payButtonSeen = entries[entries.length - 1].isIntersecting; })
            .observe(this.$refs.payButton);
        }
      },
      shortcut(event) {
        const keys = {
          F2: () => this.focusScan(true),
          F4: () => this.focusMember(),
          F8: () => this.hold(),
          F9: () => this.pay(),
          Escape: () => this.dismiss(),
        };
        if (keys[event.key]) { event.preventDefault(); keys[event.key](); return; }
        // A scanner "types" the barcode: if it lands on a button or nowhere, send it to the scan field
        // (not the space bar, which presses the focused button).
        if (event.key.length === 1 && event.key !== " " && !event.ctrlKey && !event.metaKey && !event.altKey &&
            !isTyping(document.activeElement)) this.focusScan(true);
      },
      focusScan(force) {
        if (this.$refs.scan && (force || !TOUCH)) this.$refs.scan.focus();
      },
      focusMember() {
        if (this.member) { if (this.$refs.pointsInput) this.$refs.pointsInput.focus(); return; }
        if (this.$refs.memberInput) this.$refs.memberInput.focus();
      },
      dismiss() {
        this.panel = ""; this.error = ""; this.notice = ""; this.showHeld = false; this.memberResults = [];
        this.focusScan(true);
      },

      // Feedback: a notice fades after a few seconds (a sale's stays, with its change and receipt); an error
      // stays until it is dismissed (×, Esc) or the next action succeeds.
      say(text, order) {
        clearTimeout(this.noticeTimer);
        this.notice = text; this.lastOrder = order || null;
        if (!order) this.noticeTimer = setTimeout(() => { this.notice = ""; }, NOTICE_MS);
      },
      fail(message, from) { this.error = message; this.errorFrom = from || ""; },

      get visible() {
        const q = this.query.trim().toLowerCase();
        return this.cfg.products.filter((p) =>
          (this.category === null || p.category_id === this.category) &&
          (!q || p.name.toLowerCase().includes(q) || (p.barcode && p.barcode.includes(q)))).slice(0, 60);
      },
      get itemCount() { return this.cart.reduce((sum, line) => sum + line.qty, 0); },
      pickCategory(id) { this.category = id; this.focusScan(); },
      scan() {
        const q = this.query.trim();
        if (!q) return;
        this.error = "";
        const exact = this.cfg.products.find((p) => p.barcode && p.barcode === q);
        if (!exact && COUPON_CODE.test(q.replace(/\s+/g, ""))) { this.redeemFromScan(q); return; }
        const hits = this.visible;
        // Digits are a barcode: only the whole code adds a product, never a part of one.
        const byName = !/^\d+$/.test(q);
        if (exact) this.add(exact);
        else if (hits.length === 1 && byName) this.add(hits[0]);
        else if (hits.length) { this.say(this.t.pick_one); return; }
        else {
          // Selected, so that the next scan replaces the unknown code instead of being glued to it.
          this.fail(this.t.nothing_found.replace("%(query)s", q));
          this.$refs.scan.select();
          return;
        }
        this.query = "";
      },
      add(product) {
        const line = this.cart.find((l) => l.product.id === product.id);
        if (line) line.qty += 1; else this.cart.push({product: product, qty: 1, cardId: null});
        this.error = "";
        this.say(product.name + " +1");
        this.requote();
        this.focusScan();
      },
      setQty(line, qty) {
        qty = parseInt(qty, 10);
        if (!qty || qty < 1) this.cart = this.cart.filter((l) => l !== line);
        else line.qty = Math.min(qty, 9999);
        this.requote();
        this.focusScan();
      },
      clear() {
        this.cart = []; this.member = null; this.points = ""; this.quote = null; this.payments = []; this.memberCards = [];
        this.error = ""; this.payKey = null; this.verifyCode = ""; this.verifyOtp = ""; this.panel = "";
        this.memberResults = []; this.query = "";
        this.couponsReset();
        this.focusScan();
      },

      // couponIds: what a quote asks for ("auto" or ids); a sale sends the coupons its quote applied.
      body(withPayments, couponIds) {
        const body = {store_id: this.cfg.store.id, lines: this.cart.map((l) => {
          const line = {product_id: l.product.id, qty: l.qty};
          if (this.member && l.cardId) line.member_card_id = l.cardId;
          return line;
        })};
        if (this.member) {
          body.member_id = this.member.id;
          body.coupon_ids = withPayments ? (this.quote ? this.quote.coupons_applied.slice() : []) : couponIds;
        }
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
        let response;
        try {
          response = await fetch(this.cfg.urls.api + path, {method: method, headers: headers,
            body: body === undefined ? undefined : JSON.stringify(body), credentials: "same-origin"});
        } catch (e) { throw new Error(this.t.network_error); }
        const data = response.status === 204 ? null : await response.json().catch(() => null);
        if (!response.ok) {
          const message = data && data.error ? data.error.message : this.t.network_error;
          const fields = data && data.error && data.error.detail && data.error.detail.fields;
          const error = new Error(fields && fields.length ? message + " " + fields.map((f) => f.message).join(" ") : message);
          // A refusal (4xx) changed nothing on the server; a 5xx or no answer may have done it all.
          error.refused = response.status < 500;
          error.status = response.status;
          error.code = data && data.error ? data.error.code : "";
          error.detail = (data && data.error && data.error.detail) || {};
          throw error;
        }
        return data;
      },
      requote() {
        clearTimeout(this.quoteTimer);
        this.payKey = null;
        const seq = ++this.quoteSeq;
        if (!this.cart.length) { this.quote = null; this.payments = []; this.quoting = false; this.quoteSettled(); return; }
        this.quoting = true;
        this.quoteTimer = setTimeout(async () => {
          try {
            const quote = await this.fetchQuote(seq);
            if (seq !== this.quoteSeq) return;  // an older answer arriving late
            this.quote = quote;
            if (this.errorFrom === "quote") this.error = "";
            this.fillPayments();
          } catch (e) {
            if (seq !== this.quoteSeq) return;
            this.quote = null;  // never let the cashier charge a price that is no longer true
            this.payAfterQuote = false;
            this.fail(e.message, "quote");
          }
          this.quoting = false;
          this.quoteSettled();
          if (this.payAfterQuote) { this.payAfterQuote = false; this.pay(); }
        }, 120);
      },
      /* The quote of the coupons chosen. A chosen coupon the order does not reach (yet) is left out of this
         quote but stays chosen; one that is gone (used elsewhere) is dropped; a coupon just ticked that cannot
         join the others replaces them. */
      async fetchQuote(seq) {
        let ids = this.couponMode === "manual" ? this.couponWanted.slice() : "auto";
        for (;;) {
          try {
            return await this.api("POST", "/orders/quote", this.body(false, ids));
          } catch (e) {
            if (seq !== this.quoteSeq || !Array.isArray(ids)) throw e;
            const couponId = e.detail.coupon_id;
            if (COUPON_REFUSALS.includes(e.code) && ids.includes(couponId)) {
              ids = ids.filter((id) => id !== couponId);
              if (e.code === "coupon_unavailable") this.couponWanted = this.couponWanted.filter((id) => id !== couponId);
            } else if (e.code === "coupons_not_combinable" && ids.length > 1 && ids.includes(this.couponPick)) {
              ids = [this.couponPick];
              this.couponWanted = [this.couponPick];
            } else throw e;
          }
        }
      },
      // Resolves once the quote being made is on screen (at once when none is being made).
      afterQuote() {
        if (!this.quoting) return Promise.resolve();
        return new Promise((resolve) => this.quoteWaiters.push(resolve));
      },
      quoteSettled() {
        const waiters = this.quoteWaiters;
        this.quoteWaiters = [];
        waiters.forEach((resolve) => resolve());
      },
      // A product can be priced on several lines (a promotion limited per member covers only some units).
      quoteLines(line) { return this.quote ? this.quote.lines.filter((l) => l.product_id === line.product.id) : []; },
      linePayable(line) { return this.quoteLines(line).reduce((sum, l) => sum + l.payable_fen, 0); },
      // The promotions that priced the product, with what each saved on it.
      linePromotions(line) {
        const promos = [];
        this.quoteLines(line).filter((l) => l.promotion_name).forEach((l) => {
          const known = promos.find((p) => p.name === l.promotion_name);
          if (known) known.saved_fen += l.promotion_discount_fen;
          else promos.push({name: l.promotion_name, saved_fen: l.promotion_discount_fen});
        });
        return promos;
      },
      fillPayments() {
        if (!this.quote) return;
        if (this.payments.length <= 1) {
          const method = this.payments.length ? this.payments[0].method : "cash";
          this.payments = [{method: method, amount: plainYuan(this.quote.payable_fen), tendered: ""}];
        }
      },
      get payMethods() {
        // Only a member has stored value to pay with.
        return this.cfg.methods.filter((m) => this.member || m.value !== "stored_value");
      },
      get paidFen() { return this.payments.reduce((sum, p) => sum + (yuanToFen(p.amount) || 0), 0); },
      get leftFen() { return this.quote ? this.quote.payable_fen - this.paidFen : 0; },
      get changeFen() {
        const cash = this.payments.find((p) => p.method === "cash");
        if (!cash || !yuanToFen(cash.tendered)) return 0;
        return Math.max(0, yuanToFen(cash.tendered) - (yuanToFen(cash.amount) || 0));
      },
      overBalance(payment) {
        return !!(this.member && payment.method === "stored_value" &&
          (yuanToFen(payment.amount) || 0) > this.member.balance_fen);
      },
      addPayment() {
        const used = this.payments.map((p) => p.method);
        const method = this.payMethods.map((m) => m.value).find((m) => !used.includes(m));
        if (!method) return;
        this.payments.push({method: method, amount: plainYuan(Math.max(this.leftFen, 0)), tendered: ""});
      },
      removePayment(index) {
        this.payments.splice(index, 1);
        if (this.payments.length === 1 && this.quote) this.payments[0].amount = plainYuan(this.quote.payable_fen);
      },
      get needsVerification() {
        return this.cfg.store.verify && this.member &&
          ((parseInt(this.points, 10) > 0) || this.payments.some((p) => p.method === "stored_value"));
      },

      async pay() {
        if (this.busy) return;
        if (!this.cart.length) { this.fail(this.t.empty_cart); this.focusScan(); return; }
        if (this.quoting) { this.payAfterQuote = true; return; }  // F9 right after a scan: pay the new price
        if (!this.quote) return;
        if (this.leftFen !== 0) { this.fail(this.t.payments_must_match); return; }
        this.busy = true;
        this.error = "";
        this.payKey = this.payKey || newKey();  // a retry after a network error is the same sale
        try {
          const order = await this.api("POST", "/orders", this.body(true), this.payKey);
          // The next customer starts from nothing: keeping the member would sell to them by mistake.
          this.clear();
          this.say(this.t.paid.replace("%(no)s", order.no) + (order.change_fen ? " · " + this.t.change + " " + fenToYuan(order.change_fen) : ""), order);
        } catch (e) {
          this.fail(e.message);
          // Refused (e.g. not enough stored value): the cashier changes the payment and tries again, which is a
          // new request. Not answered: keep the key, so that trying again cannot charge twice.
          if (e.refused) this.payKey = null;
          // A coupon used at another counter a moment ago: price again without it.
          if (e.code === "coupon_unavailable") this.requote();
        }
        this.busy = false;
      },
      receiptUrl(order, width) { return this.cfg.urls.receipt.replace("{id}", order.id) + "?width=" + width; },
      goToPayment() {
        this.$refs.payButton.scrollIntoView({behavior: "smooth", block: "center"});
      },

      async findMember() {
        const q = this.memberQuery.trim();
        if (!q) { this.focusMember(); return; }
        try {
          const page = await this.api("GET", "/members?limit=10&q=" + encodeURIComponent(q));
          this.memberResults = page.items;
          this.error = "";
          if (page.items.length === 1) this.pickMember(page.items[0]);
          else if (!page.items.length) {
            this.fail(this.t.no_member);
            if (this.cfg.can_register) {
              this.panel = "register";
              this.registerPhone = /^[0-9+ -]+$/.test(q) ? q : "";
              this.registerName = this.registerPhone ? "" : q;
            }
          }
        } catch (e) { this.fail(e.message); }
      },
      pickMember(member) {
        this.member = member; this.memberResults = []; this.memberQuery = ""; this.points = ""; this.panel = "";
        this.couponsReset();
        this.cart.forEach((l) => { l.cardId = null; });
        this.loadCards();
        this.requote();
        this.focusScan();
      },
      dropMember() {
        this.member = null; this.points = ""; this.panel = ""; this.verifyCode = ""; this.verifyOtp = "";
        this.couponsReset();
        this.memberCards = [];
        this.cart.forEach((l) => { l.cardId = null; });
        this.payments.forEach((p) => { if (p.method === "stored_value") p.method = "cash"; });
        this.requote();
        this.focusScan();
      },
      async refreshMember(id) {
        try { this.member = await this.api("GET", "/members/" + id); } catch (e) { this.fail(e.message); }
      },
      async sendCode() {
        try {
          await this.api("POST", "/members/" + this.member.id + "/payment-code", undefined, newKey());
          this.say(this.t.code_sent);
        } catch (e) { this.fail(e.message); }
      },
      toggleRegister() {
        this.panel = this.panel === "register" ? "" : "register";
        if (this.panel === "register") this.$nextTick(() => this.$refs.registerPhone && this.$refs.registerPhone.focus());
      },
      async register() {
        if (this.busy) return;
        this.busy = true;
        try {
          const member = await this.api("POST", "/members", {phone: this.registerPhone, name: this.registerName,
            store_id: this.cfg.store.id, source: "counter"}, newKey());
          this.panel = ""; this.registerName = ""; this.registerPhone = ""; this.error = "";
          this.pickMember(member);
          this.say(this.t.registered);
        } catch (e) { this.fail(e.message); }
        this.busy = false;
      },
      async recharge() {
        if (this.busy) return;
        const plan = this.cfg.plans.find((p) => String(p.id) === String(this.rechargePlan));
        const pay = plan ? plan.pay_fen : yuanToFen(this.rechargeAmount);
        if (!pay) { this.fail(this.t.amount_needed); return; }
        const body = {store_id: this.cfg.store.id, pay_fen: pay, payment_method: this.rechargeMethod};
        if (plan) body.plan_id = plan.id;
        this.busy = true;
        try {
          await this.api("POST", "/members/" + this.member.id + "/recharge", body, newKey());
          this.panel = ""; this.rechargeAmount = ""; this.rechargePlan = ""; this.error = "";
          await this.refreshMember(this.member.id);
          this.say(this.t.recharged + " " + fenToYuan(this.member.balance_fen));
          this.requote();
          this.focusScan();
        } catch (e) { this.fail(e.message); }
        this.busy = false;
      },

      // --- cards (卡项) -------------------------------------------------------------------------------
      async loadCards() {
        const member = this.member;
        if (!member || !this.cfg.can_cards) { this.memberCards = []; return; }
        try {
          const page = await this.api("GET", "/members/" + member.id + "/cards?usable_in_store=" + this.cfg.store.id);
          if (this.member && this.member.id === member.id) this.memberCards = page.items;
        } catch (e) { this.fail(e.message); }
      },
      // The member's cards holding the line's service with a use left.
      cardsFor(line) {
        return this.memberCards.filter((c) => c.remaining.some((r) => r.product_id === line.product.id &&
          (r.uses_left === null || r.uses_left > 0)));
      },
      setLineCard(line, value) {
        line.cardId = value ? parseInt(value, 10) : null;
        this.requote();
        this.focusScan();
      },
      // One use of a service now (扫码核销: the member picked by their member code), without a sale.
      async useOne(card, remaining) {
        if (this.busy) return;
        this.busy = true;
        try {
          const used = await this.api("POST", "/member-cards/" + card.id + "/use",
            {product_id: remaining.product_id, store_id: this.cfg.store.id}, newKey());
          const left = used.remaining.find((r) => r.product_id === remaining.product_id);
          this.error = "";
          this.say(this.t.card_used.replace("%(service)s", remaining.name).replace("%(card)s", card.name)
            .replace("%(left)s", left && left.uses_left !== null ? this.t.uses_left.replace("%(n)s", left.uses_left) : this.t.unlimited));
          await this.loadCards();
          if (this.cart.some((l) => l.cardId === card.id)) this.requote();
        } catch (e) { this.fail(e.message); }
        this.busy = false;
        this.focusScan();
      },

      // --- coupons ---------------------------------------------------------------------------------
      couponsReset() { this.couponMode = "auto"; this.couponWanted = []; this.couponPick = null; this.couponCode = ""; },
      get couponRows() {
        // Usable first; a tick does not move a row (the keyboard focus stays on it).
        const rows = this.quote && this.member && this.quote.member_id === this.member.id ? this.quote.coupons : [];
        return rows.filter((c) => c.usable).concat(rows.filter((c) => !c.usable));
      },
      couponWaiting(coupon) {
        return this.couponMode === "manual" && !coupon.applied && this.couponWanted.includes(coupon.coupon_id);
      },
      couponsAuto() {
        this.couponsReset();
        this.requote();
      },
      // Chosen now: the coupons applied so far (or chosen and waiting) with this one added, or without it.
      couponChoose(couponId, on) {
        const base = this.couponMode === "manual" ? this.couponWanted : (this.quote ? this.quote.coupons_applied : []);
        const rest = base.filter((id) => id !== couponId);
        this.couponMode = "manual";
        this.couponWanted = on ? rest.concat([couponId]) : rest;
        this.couponPick = on ? couponId : null;
        this.requote();
      },
      toggleCoupon(coupon) { this.couponChoose(coupon.coupon_id, !(coupon.applied || this.couponWaiting(coupon))); },
      couponRefusal(coupon) {
        let text = "";
        if (coupon.status === "used") text = this.t.coupon_used.replace("%(date)s", localDay(coupon.used_at));
        else if (coupon.status === "expired") text = this.t.coupon_expired.replace("%(date)s", localDay(coupon.valid_until));
        else if (coupon.status !== "unused") text = this.t.coupon_void;
        return text.replace("%(name)s", coupon.name);
      },
      /* A redeem code: the coupon's member is selected (when it is not the one at the counter) and the coupon
         ticked. False (with the reason on screen) when the code is unknown, used, expired or void. */
      async redeemCode(raw) {
        const code = String(raw || "").replace(/\s+/g, "");
        if (!COUPON_CODE.test(code)) { this.fail(this.t.coupon_code_format); return false; }
        let coupon;
        try { coupon = await this.api("GET", "/coupons/by-code/" + code); } catch (e) {
          this.fail(e.status === 404 ? this.t.coupon_unknown : e.message);
          return false;
        }
        const refusal = this.couponRefusal(coupon);
        if (refusal) { this.fail(refusal); return false; }
        let switched = "";
        if (!this.member || this.member.id !== coupon.member_id) {
          try { this.pickMember(await this.api("GET", "/members/" + coupon.member_id)); } catch (e) {
            this.fail(e.message);
            return false;
          }
          switched = this.t.coupon_member.replace("%(name)s", this.member.name || this.member.card_no) + " · ";
        }
        this.error = "";
        await this.afterQuote();  // on top of what applies to this member's order now
        this.couponChoose(coupon.id, true);
        await this.afterQuote();
        const row = this.couponRows.find((c) => c.coupon_id === coupon.id);
        const name = coupon.name;
        if (!this.cart.length) this.say(switched + this.t.coupon_ready.replace("%(name)s", name));
        else if (row && row.applied) this.say(switched + this.t.coupon_applied.replace("%(name)s", name));
        else if (row) this.say(switched + this.t.coupon_chosen.replace("%(name)s", name).replace("%(reason)s", row.reason_text));
        else if (this.quote) this.fail(this.t.coupon_not_here.replace("%(name)s", name));
        return true;
      },
      async redeemFromScan(text) {
        const ok = await this.redeemCode(text);
        if (this.query.trim() !== text) return;  // the cashier already scans the next thing
        if (ok) this.query = ""; else this.$refs.scan.select();
        this.focusScan();
      },
      async redeemFromField() {
        const text = this.couponCode.trim();
        if (!text) return;
        const ok = await this.redeemCode(text);
        if (ok) { this.couponCode = ""; this.focusScan(); } else if (this.$refs.couponCode) this.$refs.couponCode.select();
      },

      async hold() {
        if (!this.cart.length) { this.fail(this.t.empty_cart); this.focusScan(); return; }
        try {
          await this.api("POST", "/held-orders", {store_id: this.cfg.store.id,
            member_id: this.member ? this.member.id : null, points: parseInt(this.points, 10) || 0,
            lines: this.cart.map((l) => ({product_id: l.product.id, qty: l.qty}))}, newKey());
          this.clear(); this.say(this.t.held);
          if (this.showHeld) this.loadHeld();
        } catch (e) { this.fail(e.message); }
      },
      toggleHeld() {
        if (this.showHeld) { this.showHeld = false; this.focusScan(); return; }
        this.loadHeld();
      },
      async loadHeld() {
        try { this.held = await this.api("GET", "/held-orders?store_id=" + this.cfg.store.id); this.showHeld = true; }
        catch (e) { this.fail(e.message); }
      },
      async resume(held) {
        try {
          const taken = await this.api("POST", "/held-orders/" + held.id + "/resume", undefined, newKey());
          this.clear();
          this.cart = taken.cart.lines.map((l) => ({product: this.cfg.products.find((p) => p.id === l.product_id), qty: l.qty, cardId: null}))
            .filter((l) => l.product);
          if (taken.cart.lines.length > this.cart.length) this.fail(this.t.held_lines_gone);
          if (taken.member_id) { await this.refreshMember(taken.member_id); this.loadCards(); }
          this.points = taken.cart.points ? String(taken.cart.points) : "";
          this.showHeld = false;
          this.requote();
        } catch (e) { this.fail(e.message); this.loadHeld(); }
      },
    };
  };
})();
