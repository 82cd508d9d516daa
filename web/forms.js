// The forms: the plain HTML forms post and work without this script. With it, a
// form marked data-enhance posts JSON, shows each error next to its field (linked by
// aria-describedby, announced, focus on the first), and goes on to Checkout or the next
// page; and [data-campaign] elements show the appeal's progress.
// The API's address: <html data-api="https://api.example.org">, else this page's site.
(function () {
  "use strict";
  var api = (document.documentElement.getAttribute("data-api") || "").replace(/\/$/, "");

  function lang(form) {
    var c = form && form.querySelector("input[name=language]:checked");
    return (c && c.value) || document.documentElement.lang || "en";
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
      var el = form.querySelector('[name="' + key + '"]');
      if (!el) {
        var p = document.createElement("p");
        p.textContent = res.fields[key];
        summary.appendChild(p);
        return;
      }
      var id = "err-" + key.replace(/[^a-zA-Z0-9_-]/g, "-");
      var msg = document.createElement("p");
      msg.id = id;
      msg.className = "field-error";
      msg.textContent = res.fields[key];
      var box = el.closest(".field") || el.closest("fieldset") || el.parentNode;
      box.appendChild(msg);
      el.setAttribute("aria-invalid", "true");
      var ids = (el.getAttribute("aria-describedby") || "").split(" ").filter(Boolean);
      ids.push(id);
      el.setAttribute("aria-describedby", ids.join(" "));
    });
    // Focus the first field in error in the page's order, else the summary.
    (form.querySelector("[aria-invalid=true]") || summary).focus();
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
        if (r.status === 202) { window.location.assign(api + form.getAttribute("data-next") + "?lang=" + encodeURIComponent(l)); return; }
        if (button) button.disabled = false;
        showErrors(form, r.body);
      }).catch(function () {
        form.submit(); // the network or the script failed: the plain post still works
      });
    });
  }

  function progress(el) {
    var l = document.documentElement.lang === "fr" ? "fr" : "en";
    // no-cache: a supporter back from paying sees their gift counted at once.
    fetch(api + "/campaigns/" + encodeURIComponent(el.getAttribute("data-campaign")), { headers: { "Accept-Language": l }, cache: "no-cache" })
      .then(function (res) { return res.json(); })
      .then(function (c) {
        var money = function (cents) {
          return (cents / 100).toLocaleString(l + "-CA", { style: "currency", currency: c.currency.toUpperCase(), maximumFractionDigits: 0 });
        };
        var raised = el.querySelector(".raised"), bar = el.querySelector("[role=progressbar]");
        raised.textContent = l === "fr" ? money(c.raised_cents) + " amassés sur " + money(c.goal_cents)
          : money(c.raised_cents) + " raised of " + money(c.goal_cents);
        var pct = Math.min(100, c.percent);
        bar.setAttribute("aria-valuenow", String(pct));
        bar.setAttribute("aria-valuetext", raised.textContent);
        bar.querySelector("span").style.width = pct + "%";
      }).catch(function () {});
  }

  // Every form posts to the API, enhanced or not (manage.html stays a plain post).
  Array.prototype.forEach.call(document.querySelectorAll('form[action^="/"]'), function (f) {
    f.setAttribute("data-path", f.getAttribute("action"));
    if (api) f.setAttribute("action", api + f.getAttribute("action"));
  });
  Array.prototype.forEach.call(document.querySelectorAll("form[data-enhance]"), enhance);
  Array.prototype.forEach.call(document.querySelectorAll("[data-campaign]"), progress);
})();
