// The forms: the plain HTML forms post and work without this script. With it, a
// form marked data-enhance posts JSON, shows each error next to its field (linked by
// aria-describedby, announced, focus on the first), and goes on to Checkout or the next
// page (data-next), or shows what was done in the form's place (data-sent); the donation form's Donate button names the charge and its "Other" choice shows
// the other amount's field; [data-campaign] elements show the appeal's progress; and the language switch
// (a[data-switch]) takes what was typed along to the other language's page.
// The API's address: <html data-api="https://api.example.org">, else this page's site.
(function () {
  "use strict";
  var api = (document.documentElement.getAttribute("data-api") || "").replace(/\/$/, "");

  // The form's language is its page's (index.html English, index.fr.html French).
  function lang(form) {
    var c = form && form.querySelector("input[name=language]");
    return (c && c.value) || document.documentElement.lang || "en";
  }

  // The language switch leads to the same form in the other language: what was typed
  // goes along in this tab's sessionStorage (not the honeypot, nor the hidden fields the
  // page sets), is put back by the other page, and is then removed.
  var CARRY = "solidarity-forms:carry";
  // What was typed is kept for the page the switch opens, in this tab, for a few seconds
  // only: a click that opens another tab or window keeps nothing, and what no page took
  // is thrown away (storage is the tab's, and other scripts of the site can read it).
  var CARRY_MS = 10000;
  function carry(e) {
    if (e && (e.button !== 0 || e.ctrlKey || e.metaKey || e.shiftKey || e.altKey)) return;
    var to = new URL(e && e.currentTarget ? e.currentTarget.href : location.href, location.href).pathname;
    var saved = [];
    Array.prototype.forEach.call(document.querySelectorAll("form"), function (form) {
      var values = {};
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "website" || el.type === "hidden" || el.type === "submit" || el.type === "button") return;
        if (el.type === "radio") { if (el.checked) values[el.name] = el.value; return; }
        values[el.name] = el.type === "checkbox" ? el.checked : el.value;
      });
      saved.push({ path: form.getAttribute("data-path") || form.getAttribute("action"), values: values });
    });
    try { sessionStorage.setItem(CARRY, JSON.stringify({ to: to, at: Date.now(), forms: saved })); } catch (err) { /* storage off: the link still works */ }
  }
  function restore() {
    var kept;
    try {
      kept = JSON.parse(sessionStorage.getItem(CARRY) || "null");
      sessionStorage.removeItem(CARRY);
    } catch (e) { return; }
    // Only on the page the switch opened, just now.
    if (!kept || kept.to !== location.pathname || !(Date.now() - kept.at < CARRY_MS) || !Array.isArray(kept.forms)) return;
    kept.forms.forEach(function (s) {
      var form = Array.prototype.filter.call(document.forms, function (f) {
        return (f.getAttribute("data-path") || f.getAttribute("action")) === s.path;
      })[0];
      if (!form || !s.values) return;
      Array.prototype.forEach.call(form.elements, function (el) {
        if (!el.name || el.name === "website" || el.type === "hidden" || !Object.prototype.hasOwnProperty.call(s.values, el.name)) return;
        var v = s.values[el.name];
        if (el.type === "radio") el.checked = el.value === v;
        else if (el.type === "checkbox") el.checked = v === true;
        else if (typeof v === "string") el.value = v;
      });
    });
  }

  function toJSON(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.disabled || el.type === "submit" || el.type === "button") return;
      if (el.type === "radio" && !el.checked) return;
      var v;
      if (el.type === "checkbox") {
        if (!el.checked) return;
        v = true;
      } else {
        v = el.value.trim();
        if (v === "") return;
        if (el.getAttribute("data-type") === "int") v = parseInt(v, 10);
      }
      var parts = el.name.split("."), o = body;
      for (var i = 0; i < parts.length - 1; i++) o = o[parts[i]] = o[parts[i]] || {};
      o[parts[parts.length - 1]] = v;
    });
    return body;
  }

  function clearErrors(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (e) { e.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid");
      var keep = (el.getAttribute("aria-describedby") || "").split(" ").filter(function (id) { return id && id.indexOf("err-") !== 0; });
      if (keep.length) el.setAttribute("aria-describedby", keep.join(" ")); else el.removeAttribute("aria-describedby");
    });
    var summary = form.querySelector(".form-errors");
    if (summary) { summary.hidden = true; summary.textContent = ""; }
  }

  function showErrors(form, res) {
    var summary = form.querySelector(".form-errors");
    summary.hidden = false;
    summary.textContent = "";
    var title = document.createElement("p");
    title.textContent = res.message || "";
    summary.appendChild(title);
    Object.keys(res.fields || {}).forEach(function (key) {
      var el = errorField(form, key);
      if (!el) {
        var p = document.createElement("p");
        p.textContent = res.fields[key];
        summary.appendChild(p);
        return;
      }
      // A page's second form (join.html's dues) has an id: its errors' ids are its own.
      var id = "err-" + (form.id ? form.id + "-" : "") + key.replace(/[^a-zA-Z0-9_-]/g, "-");
      var msg = document.createElement("p");
      msg.id = id;
      msg.className = "field-error";
      msg.textContent = res.fields[key];
      var group = el.type === "radio" && el.closest(".choices");
      if (group) group.parentNode.insertBefore(msg, group.nextSibling); // beside the buttons
      else (el.closest(".field") || el.closest("fieldset") || el.parentNode).appendChild(msg);
      el.setAttribute("aria-invalid", "true");
      var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      ids.push(id);
      el.setAttribute("aria-describedby", ids.join(" "));
    });
    // Focus the first field in error in the page's order, else the summary.
    (form.querySelector("[aria-invalid=true]") || summary).focus();
  }

  // The field an error of key stands beside: on the donation form with "Other" chosen,
  // the other amount's (for its own errors and the amount's), shown; else the one named key.
  function errorField(form, key) {
    var other = form.querySelector("input[data-other]"), input = form.querySelector('[name="other_amount"]');
    if (other && input && (key === "other_amount" || (key === "amount_cents" && other.checked))) {
      if (!other.checked) {
        other.checked = true;
        other.dispatchEvent(new Event("change", { bubbles: true }));
      }
      return input;
    }
    return form.querySelector('[name="' + key + '"]');
  }

  function enhance(form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      clearErrors(form);
      var button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      var l = lang(form);
      fetch(api + form.getAttribute("data-path"), {
        method: "POST",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "Accept-Language": l },
        body: JSON.stringify(toJSON(form))
      }).then(function (res) {
        return res.json().then(function (j) { return { status: res.status, body: j }; });
      }).then(function (r) {
        if (r.status === 201 && r.body.checkout_url) { window.location.assign(r.body.checkout_url); return; }
        var sent = r.status === 202 && !form.getAttribute("data-next") && document.getElementById(form.getAttribute("data-sent") || "");
        if (sent) {
          // No page follows (POST /portal): what was done is said in the form's place.
          form.hidden = true;
          sent.hidden = false;
          sent.focus();
          return;
        }
        if (r.status === 202) {
          // The signed notice of what was sent, for the page that follows (docs/api.md).
          var notice = r.body && r.body.notice ? "&notice=" + encodeURIComponent(r.body.notice) : "";
          window.location.assign(api + form.getAttribute("data-next") + "?lang=" + encodeURIComponent(l) + notice);
          return;
        }
        if (button) button.disabled = false;
        showErrors(form, r.body);
      }).catch(function () {
        form.submit(); // the network or the script failed: the plain post still works
      });
    });
  }

  // The amount. money.ParseDollars (shared/money) as a script: the cents of an amount of
  // dollars typed by a person writing lang, or null for what the server refuses as not an
  // amount (it may still refuse one outside the campaign's limits).
  var MAX_CENTS = 99999999999;
  var PREFIXES = ["CA$", "CAD", "C$", "$"], SUFFIXES = ["$ CAD", "$CAD", "$ CA", "$CA", "CA$", "CAD", "C$", "$"];
  function groups(lang, sep) { return sep === " " || (sep === "," && lang !== "fr"); }
  function endsWithMark(up) { return SUFFIXES.some(function (x) { return up.slice(-x.length) === x; }); }
  function stripCurrency(s) {
    var up = s.replace(/[a-z]/g, function (c) { return c.toUpperCase(); });
    for (var i = 0; i < PREFIXES.length; i++) {
      if (up.indexOf(PREFIXES[i]) === 0) {
        s = s.slice(PREFIXES[i].length).replace(/^ +/, "");
        return endsWithMark(up.slice(PREFIXES[i].length).replace(/^ +/, "")) ? null : s;
      }
    }
    for (var j = 0; j < SUFFIXES.length; j++) {
      if (up.slice(-SUFFIXES[j].length) === SUFFIXES[j]) return s.slice(0, s.length - SUFFIXES[j].length).replace(/ +$/, "");
    }
    return s;
  }
  function parseDollars(s, lang) {
    s = s.replace(/[\u00a0\u202f\u2009\u2007]/g, " ").replace(/\u2212/g, "-").trim();
    if (s.charAt(0) === "-") return null;
    s = stripCurrency(s);
    if (!s || s.charAt(0) === "-" || s.charAt(s.length - 1) === "-") return null;
    var digits = [], seps = [], start = 0, i;
    for (i = 0; i < s.length; i++) {
      var c = s.charAt(i);
      if (c >= "0" && c <= "9") continue;
      if (c !== "." && c !== "," && c !== " ") return null;
      if (i === start) return null; // leading, trailing or doubled separator
      digits.push(s.slice(start, i));
      seps.push(c);
      start = i + 1;
    }
    if (start === s.length) return null;
    digits.push(s.slice(start));
    var frac = "", decimal = "", n = seps.length;
    if (n > 0) {
      var last = seps[n - 1], tail = digits[n];
      if (last !== " " && tail.length <= 2) {
        frac = tail; decimal = last; digits = digits.slice(0, n); seps = seps.slice(0, n - 1);
      } else if (!(last === " " || (groups(lang, last) && tail.length === 3))) {
        return null;
      }
    }
    if (seps.length > 0) {
      var sep = seps[0];
      if (seps.some(function (x) { return x !== sep; }) || !groups(lang, sep) || sep === decimal) return null;
      if (digits[0].length > 3 || digits[0].charAt(0) === "0") return null;
      if (digits.slice(1).some(function (g) { return g.length !== 3; })) return null;
    }
    var whole = 0, run = digits.join("");
    for (i = 0; i < run.length; i++) {
      whole = whole * 10 + (run.charCodeAt(i) - 48);
      if (whole > MAX_CENTS / 100) return null;
    }
    var cents = whole * 100;
    if (frac) { frac += "0"; cents += (frac.charCodeAt(0) - 48) * 10 + (frac.charCodeAt(1) - 48); }
    return cents > MAX_CENTS ? null : cents;
  }
  // i18n.FormatCents: "$1,250.50", "1 250,50 $" (no-break spaces).
  function formatCents(cents, lang) {
    var fr = lang === "fr", whole = String(Math.floor(cents / 100)), frac = String(cents % 100);
    if (frac.length < 2) frac = "0" + frac;
    whole = whole.replace(/\B(?=(\d{3})+$)/g, fr ? "\u00a0" : ",");
    return fr ? whole + "," + frac + "\u00a0$" : "$" + whole + "." + frac;
  }
  // donation.Fees.GrossUp: ceil((net + fixed) / (1 - bps/10000)), in integers. The
  // numbers stay below 2^53, and the quotient is never within a rounding of an integer.
  function grossUp(net, bps, fixed) {
    var den = 10000 - bps;
    return Math.floor(((net + fixed) * 10000 + den - 1) / den);
  }

  // The donation form's amount: "Other" shows its field (and focuses it), which is else
  // hidden and not sent; the Donate button names the charge ("Donate $26.06 once", from
  // its data-text-once and data-text-monthly) as the amount, frequency and fees change, and is plain
  // "Donate" while the amount is not one. The button's own text: nothing else announces it.
  function amount(form) {
    var other = form.querySelector("input[data-other]"), input = form.querySelector("input[name=other_amount]");
    var field = input && input.closest(".field"), button = form.querySelector("button[type=submit]");
    if (!other || !field || !button || !button.getAttribute("data-text-once")) return;
    var plain = button.textContent, l = lang(form);
    var bps = parseInt(form.getAttribute("data-fee-bps"), 10), fixed = parseInt(form.getAttribute("data-fee-cents"), 10);
    button.removeAttribute("aria-describedby"); // the words it pointed to are hidden: the button says it
    function label() {
      var chosen = form.querySelector("input[name=amount_cents]:checked"), freq = form.querySelector("input[name=frequency]:checked");
      var cents = !chosen ? null : chosen === other ? parseDollars(input.value, l) : parseInt(chosen.value, 10);
      var fees = form.querySelector("input[name=cover_fees]");
      if (fees && fees.checked && cents > 0) cents = isNaN(bps) || isNaN(fixed) || bps < 0 || bps >= 10000 ? null : grossUp(cents, bps, fixed);
      var text = freq && button.getAttribute("data-text-" + freq.value);
      button.textContent = cents > 0 && text ? text.replace("{amount}", formatCents(cents, l)) : plain;
    }
    function sync(focus) {
      field.hidden = !other.checked;
      input.disabled = !other.checked;
      if (other.checked && focus) input.focus();
      label();
    }
    form.addEventListener("change", function (e) {
      if (e.target.name === "amount_cents") sync(e.target === other);
      else label();
    });
    input.addEventListener("input", label);
    window.addEventListener("pageshow", function () { sync(false); }); // back to a filled-in page
    sync(false);
  }

  function progress(el) {
    var l = document.documentElement.lang === "fr" ? "fr" : "en";
    // no-cache: a supporter back from paying sees their gift counted at once.
    fetch(api + "/campaigns/" + encodeURIComponent(el.getAttribute("data-campaign")), { headers: { "Accept-Language": l }, cache: "no-cache" })
      .then(function (res) { return res.json(); })
      .then(function (c) {
        // Whole dollars, the cents dropped, as the image of the progress writes them.
        var money = function (cents) {
          return Math.floor(Math.max(cents, 0) / 100).toLocaleString(l + "-CA", { style: "currency", currency: c.currency.toUpperCase(), maximumFractionDigits: 0 });
        };
        var raised = el.querySelector(".raised"), bar = el.querySelector("[role=progressbar]");
        raised.textContent = l === "fr" ? money(c.raised_cents) + " amassés sur " + money(c.goal_cents)
          : money(c.raised_cents) + " raised of " + money(c.goal_cents);
        var pct = Math.min(100, c.percent);
        bar.setAttribute("aria-valuenow", String(pct));
        bar.setAttribute("aria-valuetext", raised.textContent);
        bar.querySelector("span").style.width = pct + "%";
        // The live text and bar stand in for the image (which stays when this fails).
        raised.hidden = false;
        bar.hidden = false;
        var img = el.querySelector(".progress-image");
        if (img) img.hidden = true;
      }).catch(function () {});
  }

  // Every form posts to the API, enhanced or not. Its
  // action is the API's path ("/members"), or that path under data-api, as a page written
  // for visitors without JavaScript has it ("https://api.example.org/members").
  Array.prototype.forEach.call(document.querySelectorAll("form[action]"), function (f) {
    var a = f.getAttribute("action");
    var path = api && a.indexOf(api + "/") === 0 ? a.slice(api.length) : a;
    if (path.charAt(0) !== "/") return; // another site's form
    f.setAttribute("data-path", path);
    if (api) f.setAttribute("action", api + path);
  });
  Array.prototype.forEach.call(document.querySelectorAll("form[data-enhance]"), enhance);
  restore();
  // What works only with this script shows, what stands in for it without goes.
  Array.prototype.forEach.call(document.querySelectorAll("[data-js-only]"), function (el) { el.hidden = false; });
  Array.prototype.forEach.call(document.querySelectorAll("[data-nojs-only]"), function (el) { el.hidden = true; });
  Array.prototype.forEach.call(document.querySelectorAll("form[data-fee-bps]"), amount);
  Array.prototype.forEach.call(document.querySelectorAll("a[data-switch]"), function (a) {
    a.addEventListener("click", carry);
  });
  Array.prototype.forEach.call(document.querySelectorAll("[data-campaign]"), progress);
})();
