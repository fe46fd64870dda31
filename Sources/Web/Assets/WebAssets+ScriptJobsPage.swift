/// Part of the dashboard's script (`WebAssets.javascript`): DOM helpers, fetching and polling, and the jobs page.
/// Raw string: must never contain three quotes then a hash, or a backslash then a hash.
extension WebAssets {
    static let scriptJobsPage = #"""
// ---------------------------------------------------------------- DOM utils

var SVG_NS = "http://www.w3.org/2000/svg";

// el("td", {class: "x", title: "y"}, ["text", node]) - text always as text nodes.
function el(tag, attrs, kids) {
  var n = document.createElement(tag);
  setAttrs(n, attrs);
  appendKids(n, kids);
  return n;
}

function svgEl(tag, attrs, kids) {
  var n = document.createElementNS(SVG_NS, tag);
  setAttrs(n, attrs);
  appendKids(n, kids);
  return n;
}

function setAttrs(n, attrs) {
  if (!attrs) return;
  Object.keys(attrs).forEach(function (k) {
    var v = attrs[k];
    if (v === null || v === undefined || v === false) return;
    if (k === "text") n.textContent = str(v);
    else n.setAttribute(k, v === true ? "" : String(v));
  });
}

function appendKids(n, kids) {
  if (kids === null || kids === undefined) return;
  if (!Array.isArray(kids)) kids = [kids];
  kids.forEach(function (k) {
    if (k === null || k === undefined || k === false) return;
    n.appendChild(typeof k === "object" ? k : document.createTextNode(String(k)));
  });
}

function setText(id, text) {
  var n = document.getElementById(id);
  if (n && n.textContent !== str(text)) n.textContent = str(text);
  return n;
}

function stateBadge(state, attrs) {
  var s = str(state) || "UNKNOWN";
  var a = attrs || {};
  a["class"] = "badge state-" + s.replace(/[^A-Za-z0-9_-]/g, "_") + (a["class"] ? " " + a["class"] : "");
  a.text = s;
  return el("span", a);
}

function setBadge(node, state) {
  var s = str(state) || "UNKNOWN";
  var cls = "badge state-" + s.replace(/[^A-Za-z0-9_-]/g, "_");
  if (node.getAttribute("class") !== cls) node.setAttribute("class", cls);
  if (node.textContent !== s) node.textContent = s;
}

// Cell spec: a string, or {text, cls, title, href, badge, badgeClass, mono, num}.
function fillCell(td, spec) {
  var sig = JSON.stringify(spec);
  if (td._sig === sig) return;
  td._sig = sig;
  while (td.firstChild) td.removeChild(td.firstChild);
  if (spec === null || spec === undefined) spec = DASH;
  if (typeof spec !== "object") spec = { text: String(spec) };
  var cls = [];
  if (spec.cls) cls.push(spec.cls);
  if (spec.mono) cls.push("mono");
  if (spec.num) cls.push("num");
  if (cls.length) td.setAttribute("class", cls.join(" "));
  else td.removeAttribute("class");
  if (spec.title) td.setAttribute("title", spec.title);
  else td.removeAttribute("title");
  if (spec.badge) {
    td.appendChild(stateBadge(spec.text, spec.badgeClass ? { "class": spec.badgeClass } : null));
  } else if (spec.href) {
    td.appendChild(el("a", { href: spec.href, text: spec.text }));
  } else {
    td.textContent = str(spec.text);
  }
}

// Keyed table body update: rows are reused by key so text selection and
// hover survive the refreshes. items -> {key, cells: [spec...], attrs}.
function syncTable(tbody, rows, rowClass, emptyText, columns) {
  var existing = {};
  Array.prototype.slice.call(tbody.children).forEach(function (tr) {
    if (tr._key !== undefined) existing[tr._key] = tr;
    else tbody.removeChild(tr);
  });
  if (rows.length === 0) {
    Object.keys(existing).forEach(function (k) { tbody.removeChild(existing[k]); });
    if (emptyText) {
      tbody.appendChild(el("tr", { "class": "empty-row" },
        el("td", { colspan: columns || 1, text: emptyText })));
    }
    return;
  }
  var used = {};
  rows.forEach(function (row, i) {
    var key = String(row.key);
    if (used[key]) key = key + "\u0000" + i;
    used[key] = true;
    var tr = existing[key];
    if (!tr) {
      tr = document.createElement("tr");
      tr._key = key;
    }
    delete existing[key];
    if (rowClass) tr.setAttribute("class", rowClass + (row.extraClass ? " " + row.extraClass : ""));
    if (row.attrs) {
      Object.keys(row.attrs).forEach(function (a) {
        var v = str(row.attrs[a]);
        if (tr.getAttribute(a) !== v) tr.setAttribute(a, v);
      });
    }
    while (tr.children.length < row.cells.length) tr.appendChild(document.createElement("td"));
    while (tr.children.length > row.cells.length) tr.removeChild(tr.lastChild);
    row.cells.forEach(function (spec, c) { fillCell(tr.children[c], spec); });
    if (tbody.children[i] !== tr) tbody.insertBefore(tr, tbody.children[i] || null);
  });
  Object.keys(existing).forEach(function (k) {
    if (existing[k].parentNode === tbody) tbody.removeChild(existing[k]);
  });
}

// ---------------------------------------------------------------- fetching

function apiError(method, url, status, body) {
  var msg = body && typeof body === "object" && body.error ? String(body.error) : "";
  var e = new Error(method + " " + url + " \u2192 " + (status ? "HTTP " + status : "failed") +
    (msg ? ": " + msg : ""));
  e.status = status;
  e.body = body;
  return e;
}

function requestJSON(method, url) {
  return fetch(url, { method: method, cache: "no-store", headers: { "Accept": "application/json" } })
    .then(function (res) {
      return res.text().then(function (text) {
        var body = null;
        if (text) {
          try { body = JSON.parse(text); } catch (e) { body = null; }
        }
        // 401: the session ended (the server's token changed); the reloaded page asks for the token.
        if (res.status === 401) location.reload();
        if (!res.ok) throw apiError(method, url, res.status, body);
        if (body === null || typeof body !== "object") throw apiError(method, url, res.status, { error: "not JSON" });
        return body;
      });
    }, function (err) {
      throw apiError(method, url, 0, { error: err && err.message ? err.message : "network error" });
    });
}

function getJSON(url) {
  return requestJSON("GET", url);
}

// The error banner lists the failing sources; a source clears its line on success.
var bannerErrors = {};
function reportError(source, err) {
  if (err) bannerErrors[source] = err.message || String(err);
  else delete bannerErrors[source];
  var banner = document.getElementById("error-banner");
  if (!banner) return;
  var keys = Object.keys(bannerErrors);
  if (!keys.length) {
    banner.hidden = true;
    banner.textContent = "";
    return;
  }
  var text = keys.map(function (k) { return bannerErrors[k]; }).join("\n");
  if (banner.textContent !== text) banner.textContent = text;
  banner.hidden = false;
}

// Runs fn every POLL_MS (never overlapping). fn resolves to false to stop.
// now() refreshes at once (or right after the refresh in flight).
function poll(fn) {
  var timer = null;
  var stopped = false;
  var again = false;
  function tick() {
    timer = null;
    again = false;
    var p;
    try { p = Promise.resolve(fn()); } catch (e) { p = Promise.resolve(true); }
    p.then(function (more) {
      if (more === false) stopped = true;
    }, function () { /* keep polling */ }).then(function () {
      if (!stopped) timer = setTimeout(tick, again ? 0 : POLL_MS);
    });
  }
  tick();
  return {
    now: function () {
      if (stopped) return;
      if (timer !== null) {
        clearTimeout(timer);
        tick();
      } else {
        again = true;
      }
    }
  };
}

// ---------------------------------------------------------------- jobs page

function jobsPage() {
  var filter = document.getElementById("state-filter");
  var tbody = document.querySelector("table#jobs tbody");
  var initial = new URLSearchParams(location.search).get("state") || "";
  if (initial) {
    var known = Array.prototype.some.call(filter.options, function (o) { return o.value === initial; });
    if (!known) filter.appendChild(el("option", { value: initial, text: initial }));
    filter.value = initial;
  }
  var poller = null;
  filter.addEventListener("change", function () {
    var u = new URL(location.href);
    if (filter.value) u.searchParams.set("state", filter.value);
    else u.searchParams.delete("state");
    history.replaceState(null, "", u.pathname + u.search);
    if (poller) poller.now();
  });

  function refresh() {
    var wanted = filter.value;
    var url = "/api/jobs" + (wanted ? "?state=" + encodeURIComponent(wanted) : "");
    return getJSON(url).then(function (body) {
      if (filter.value !== wanted) return;  // answer for a filter no longer selected
      reportError("jobs", null);
      var jobs = asArray(body.jobs).filter(function (j) { return j && typeof j === "object"; });
      var rows = jobs.map(function (j) {
        var id = str(j.id);
        return {
          key: id,
          attrs: { "data-job-id": id },
          extraClass: j.fromHistory ? "from-history" : "",
          cells: [
            { text: str(j.name) || id, href: "/jobs/" + encodeURIComponent(id), cls: "job-name" + (j.fromHistory ? " from-history" : ""),
              title: j.fromHistory ? "read back from the job store" : "" },
            { text: id, mono: true, cls: "job-id" },
            { text: str(j.state), badge: true, cls: "job-state" },
            { text: fmtTime(j.submitted), cls: "job-submitted", title: isNum(j.submitted) ? new Date(j.submitted).toString() : "" },
            { text: fmtDuration(j.durationMs), num: true, cls: "job-duration" },
            { text: asArray(j.environments).map(str).join(", ") || DASH, mono: true, cls: "job-environments" },
            { text: isNum(j.workers) ? fmtInt(j.workers) : DASH, num: true, cls: "job-workers" }
          ]
        };
      });
      syncTable(tbody, rows, "job-row", null, 7);
      var empty = document.getElementById("jobs-empty");
      if (empty) {
        empty.hidden = rows.length > 0;
        empty.textContent = filter.value ? "No " + filter.value + " jobs." : "No jobs.";
      }
      setText("jobs-count", rows.length === 1 ? "1 job" : rows.length + " jobs");
    }, function (err) {
      reportError("jobs", err);
    });
  }
  poller = poll(refresh);
}

"""#
}
