/// Part of the dashboard's script (`WebAssets.javascript`): the job page (graph drawing, tables, logs, Cancel and Drain) and the boot code.
/// Raw string: must never contain three quotes then a hash, or a backslash then a hash.
extension WebAssets {
    static let scriptJobPage = #"""
// ----------------------------------------------------------------- job page

function jobIdFromPath(pathname) {
  var m = /^\/jobs\/(.+?)\/?$/.exec(pathname || "");
  if (!m) return "";
  try { return decodeURIComponent(m[1]); } catch (e) { return m[1]; }
}

function jobPage() {
  var jobId = jobIdFromPath(location.pathname);
  var base = "/api/jobs/" + encodeURIComponent(jobId);
  var expanded = new Set();
  var lastGraph = null;
  var lastSignature = null;
  var lastLogId = null;
  var state = null;
  var sawTerminal = false;
  var poller = null;
  var actionPending = null; // "cancel" or "drain" while its request is out

  setText("job-id", jobId);

  // ------------------------------------------------------------ summary
  function renderSummary(job) {
    state = str(job.state) || null;
    var name = str(job.name) || jobId;
    setText("job-name", name);
    var title = name + " \u00b7 beam-job-server";
    if (document.title !== title) document.title = title;
    setBadge(document.getElementById("job-state"), job.state);
    var tag = document.getElementById("job-history-tag");
    if (tag) tag.hidden = !job.fromHistory;
    setText("job-id", str(job.id) || jobId);
    setText("job-submitted", fmtTime(job.submitted));
    setText("job-ended", isNum(job.ended) ? fmtTime(job.ended) : DASH);
    setText("job-duration", fmtDuration(job.durationMs));
    setText("job-environments", asArray(job.environments).map(str).join(", ") || DASH);
    // The detail's "workers" is the list of workers (the summary's is a count).
    var workerCount = isNum(job.workers) ? job.workers : Array.isArray(job.workers)
      ? job.workers.filter(function (w) { return w && w.state !== "stopped"; }).length : null;
    setText("job-workers", isNum(workerCount) ? fmtInt(workerCount) : DASH);
    setText("bundles-in-flight", isNum(job.bundlesInFlight) ? fmtInt(job.bundlesInFlight) : DASH);
    renderCancel();
    renderStateHistory(asArray(job.stateHistory));
    renderError(job.error);
    renderOptions(job.options);
    renderStages(asArray(job.stages));
    renderWorkers(asArray(job.workers));
    renderAutoscaling(asArray(job.autoscaling));
  }

  function renderCancel() {
    renderAction("cancel", "Cancel", "Cancelling", "danger");
    // Drain stops a running job's sources and lets every window fire: no use once it stops.
    renderAction("drain", "Drain", "Draining", "", state === "CANCELLING" || state === "DRAINING");
  }

  function renderAction(action, title, busyTitle, cls, hide) {
    var box = document.getElementById("job-actions");
    var button = document.getElementById(action + "-button");
    if (state === null || isTerminal(state) || hide) {
      if (button) button.remove();
      return;
    }
    if (!button) {
      button = el("button", { type: "button", id: action + "-button", "class": cls, text: title });
      button.addEventListener("click", function () { stopJob(action, title); });
      box.appendChild(button);
    }
    // Only Cancel shows while a job drains, and stays usable: a drain that does not end can still be stopped.
    var stopping = state === "CANCELLING";
    button.disabled = actionPending !== null || stopping;
    var label = actionPending === action ? busyTitle + "\u2026" : stopping ? "Cancelling\u2026" : title;
    if (button.textContent !== label) button.textContent = label;
  }

  function showCancelResult(text, isError) {
    var r = document.getElementById("cancel-result");
    r.textContent = text;
    r.className = "cancel-result " + (isError ? "banner banner-error" : "banner banner-info");
    r.hidden = false;
  }

  function stopJob(action, title) {
    if (actionPending !== null) return;
    actionPending = action;
    renderCancel();
    requestJSON("POST", base + "/" + action).then(function (body) {
      showCancelResult(title + " requested: " + (str(body.state) || "accepted"), false);
    }, function (err) {
      showCancelResult(title + " failed: " + err.message, true);
    }).then(function () {
      actionPending = null;
      renderCancel();
      if (poller) poller.now();
    });
  }

  function renderStateHistory(hist) {
    var box = document.getElementById("state-history");
    var sig = JSON.stringify(hist);
    if (box._sig === sig) return;
    box._sig = sig;
    while (box.firstChild) box.removeChild(box.firstChild);
    hist.forEach(function (h, i) {
      if (!h) return;
      if (i > 0) box.appendChild(el("span", { "class": "arrow", text: "\u2192" }));
      box.appendChild(el("span", { "class": "history-step", title: isNum(h.time) ? new Date(h.time).toString() : "" }, [
        stateBadge(h.state, { "class": "small" }),
        el("span", { "class": "muted", text: " " + fmtClock(h.time) })
      ]));
    });
  }

  function renderError(error) {
    var box = document.getElementById("job-error-box");
    var pre = document.getElementById("job-error");
    if (error === null || error === undefined || error === "") {
      if (pre) pre.remove();
      return;
    }
    if (!pre) {
      pre = el("pre", { id: "job-error", "class": "job-error" });
      box.appendChild(pre);
    }
    if (pre.textContent !== str(error)) pre.textContent = str(error);
  }

  function renderOptions(options) {
    var tbody = document.querySelector("table#options tbody");
    if (!tbody) return;
    var rows = [];
    if (options && typeof options === "object") {
      Object.keys(options).sort().forEach(function (k) {
        var v = options[k];
        var text = typeof v === "string" ? v : (function () { try { return JSON.stringify(v); } catch (e) { return String(v); } })();
        rows.push({ key: k, cells: [{ text: k, mono: true }, { text: text, mono: true }] });
      });
    }
    syncTable(tbody, rows, "option-row", "No options.", 2);
  }

  function renderStages(stages) {
    var rows = stages.filter(Boolean).map(function (s) {
      var ts = asArray(s.transforms);
      return {
        key: str(s.id),
        attrs: { "data-stage-id": str(s.id) },
        cells: [
          { text: str(s.id) + (s.kind && s.kind !== "stage" ? " (" + str(s.kind) + ")" : ""), mono: true },
          { text: fmtInt(ts.length), num: true, title: ts.map(str).join("\n") },
          { text: str(s.environment) || DASH, mono: true },
          { text: fmtWatermark(s.inputWatermark, false), mono: true, title: str(s.inputWatermark) },
          { text: fmtWatermark(s.outputWatermark, false), mono: true, title: str(s.outputWatermark) },
          { text: fmtInt(s.bundlesInFlight), num: true },
          { text: fmtBytes(s.pendingBytes), num: true }
        ]
      };
    });
    syncTable(document.querySelector("table#stages tbody"), rows, "stage-row", "No stages yet.", 7);
  }

  function renderWorkers(workers) {
    var rows = workers.filter(Boolean).map(function (w) {
      var st = str(w.state) || "unknown";
      return {
        key: str(w.id),
        attrs: { "data-worker-id": str(w.id) },
        cells: [
          { text: str(w.id), mono: true },
          { text: str(w.environment) || DASH, mono: true },
          { text: isNum(w.pid) ? String(w.pid) : DASH, num: true, mono: true },
          { text: st, badge: true, badgeClass: "worker-state worker-" + st.replace(/[^A-Za-z0-9_-]/g, "_") },
          { text: fmtInt(w.bundles), num: true }
        ]
      };
    });
    syncTable(document.querySelector("table#workers tbody"), rows, "worker-row", "No workers.", 5);
  }

  function renderAutoscaling(decisions) {
    var list = document.getElementById("autoscaling");
    var sig = JSON.stringify(decisions);
    if (list._sig === sig) return;
    list._sig = sig;
    while (list.firstChild) list.removeChild(list.firstChild);
    if (!decisions.length) {
      list.appendChild(el("li", { "class": "empty muted", text: "No autoscaling decisions." }));
      return;
    }
    decisions.forEach(function (d) {
      if (!d) return;
      list.appendChild(el("li", { "class": "decision" }, [
        el("span", { "class": "decision-time mono", text: fmtTime(d.time) }),
        el("span", { "class": "decision-workers", text: (isNum(d.workers) ? fmtInt(d.workers) : DASH) + (d.workers === 1 ? " worker" : " workers") }),
        el("span", { "class": "decision-reason", text: str(d.reason) })
      ]));
    });
  }

  // -------------------------------------------------------------- graph
  function toggle(id) {
    if (expanded.has(id)) expanded.delete(id);
    else expanded.add(id);
    renderGraph(lastGraph, true);
  }

  function renderGraph(graph, force) {
    if (!graph) return;
    var svg = document.getElementById("graph");
    var sig = graphSignature(graph);
    if (!force && sig === lastSignature) {
      updateGraphCounts(svg, graph);
      return;
    }
    lastSignature = sig;
    // Forget expansions of composites that no longer exist.
    var known = {};
    asArray(graph.transforms).forEach(function (t) { if (t) known[String(t.id)] = true; });
    Array.from(expanded).forEach(function (id) { if (!known[id]) expanded.delete(id); });

    var lay = layoutGraph(graph, expanded);
    var empty = document.getElementById("graph-empty");
    if (empty) empty.hidden = lay.boxes.length > 0;
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    svg.setAttribute("viewBox", "0 0 " + Math.ceil(lay.width) + " " + Math.ceil(lay.height));
    svg.setAttribute("width", String(Math.ceil(lay.width)));
    svg.setAttribute("height", String(Math.ceil(lay.height)));

    svg.appendChild(svgEl("defs", null, svgEl("marker", {
      id: "arrow", viewBox: "0 0 10 10", refX: "9", refY: "5", markerWidth: "7", markerHeight: "7",
      orient: "auto-start-reverse"
    }, svgEl("path", { d: "M 0 0 L 10 5 L 0 10 z", "class": "arrow-head" }))));

    var frameLayer = svgEl("g", { "class": "frames" });
    lay.frames.slice().sort(function (a, b) { return a.depth - b.depth; }).forEach(function (f) {
      frameLayer.appendChild(svgEl("rect", { "class": "composite-frame", "data-transform-id": f.id,
        x: f.x, y: f.y, width: f.w, height: f.h, rx: 8, ry: 8 }));
    });
    svg.appendChild(frameLayer);

    var stageLayer = svgEl("g", { "class": "stages" });
    lay.stages.forEach(function (s) {
      var g = svgEl("g", { "class": "stage" });
      g.appendChild(svgEl("rect", { "class": "stage-outline", "data-stage-id": s.id,
        x: s.x, y: s.y, width: s.w, height: s.h, rx: 10, ry: 10 }, svgEl("title", { text: "fused stage " + s.id })));
      g.appendChild(svgEl("text", { "class": "stage-label", x: s.x + 8, y: s.y - 3, text: s.id }));
      stageLayer.appendChild(g);
    });
    svg.appendChild(stageLayer);

    var edgeLayer = svgEl("g", { "class": "edges" });
    var byPc = lay.model.pcolls;
    lay.edges.forEach(function (e) {
      var dx = Math.max(24, (e.x2 - e.x1) / 2);
      var d = "M " + e.x1 + " " + e.y1 + " C " + (e.x1 + dx) + " " + e.y1 + ", " + (e.x2 - dx) + " " + e.y2 + ", " + e.x2 + " " + e.y2;
      var path = svgEl("path", { "class": "edge", d: d, "marker-end": "url(#arrow)",
        "data-from": e.from, "data-to": e.to }, svgEl("title", { text: edgeTooltip(e.pcollections, byPc) }));
      path._pcs = e.pcollections;
      edgeLayer.appendChild(path);
    });
    svg.appendChild(edgeLayer);

    var boxLayer = svgEl("g", { "class": "boxes" });
    lay.boxes.forEach(function (b) { boxLayer.appendChild(drawBox(b, graph.durationMs)); });
    svg.appendChild(boxLayer);
  }

  function drawBox(b, durationMs) {
    var t = b.transform || {};
    var label = str(t.label || t.name || t.id);
    var cls = "transform" + (b.kind !== "leaf" ? " composite" : "") + (b.kind === "expanded" ? " expanded" : b.kind === "composite" ? " collapsed" : "");
    var g = svgEl("g", { "class": cls, "data-transform-id": b.id, transform: "translate(" + b.x + "," + b.y + ")" });
    if (b.stage) g.setAttribute("data-stage", b.stage);
    var lines = boxLines(t, durationMs);
    var tip = svgEl("title", { text: boxTooltip(t, durationMs) });
    g.appendChild(tip);
    if (b.kind === "expanded") {
      g.appendChild(svgEl("rect", { "class": "box header", width: b.w, height: b.h, rx: 6, ry: 6 }));
      var head = headerText(label, lines.counts, b.w);
      g.appendChild(svgEl("text", { "class": "label", x: 8, y: 16, text: head.label }));
      g.appendChild(svgEl("text", { "class": "counts", x: b.w - 8, y: 16, "text-anchor": "end", text: head.counts }));
    } else {
      g.appendChild(svgEl("rect", { "class": "box", width: b.w, height: b.h, rx: 6, ry: 6 }));
      var chars = Math.floor((b.w - (b.kind === "composite" ? 34 : 16)) / GEO.charW);
      g.appendChild(svgEl("text", { "class": "label", x: 8, y: 18, text: truncate(label, chars) }));
      if (b.kind === "composite") {
        g.appendChild(svgEl("text", { "class": "marker", x: b.w - 9, y: 18, "text-anchor": "end", text: "+" }));
      }
      g.appendChild(svgEl("text", { "class": "counts", x: 8, y: 18 + GEO.lineH + 2, text: lines.counts }));
      g.appendChild(svgEl("text", { "class": "volume", x: 8, y: 18 + 2 * GEO.lineH + 2, text: lines.volume }));
      g.appendChild(svgEl("text", { "class": "watermark", x: 8, y: 18 + 3 * GEO.lineH + 2, text: lines.watermark }));
    }
    if (b.kind !== "leaf") {
      g.setAttribute("tabindex", "0");
      g.setAttribute("role", "button");
      g.setAttribute("aria-expanded", b.kind === "expanded" ? "true" : "false");
      g.addEventListener("click", function (ev) { ev.stopPropagation(); toggle(b.id); });
      g.addEventListener("keydown", function (ev) {
        if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); toggle(b.id); }
      });
    }
    return g;
  }

  function updateGraphCounts(svg, graph) {
    var byId = {};
    asArray(graph.transforms).forEach(function (t) { if (t) byId[String(t.id)] = t; });
    Array.prototype.forEach.call(svg.querySelectorAll("g.transform"), function (g) {
      var t = byId[g.getAttribute("data-transform-id")];
      if (!t) return;
      var lines = boxLines(t, graph.durationMs);
      if (g.classList.contains("expanded")) {
        var w = Number(g.querySelector("rect").getAttribute("width"));
        var head = headerText(str(t.label || t.name || t.id), lines.counts, w);
        lines = { label: head.label, counts: head.counts };
      }
      [["label", lines.label], ["counts", lines.counts], ["volume", lines.volume], ["watermark", lines.watermark]].forEach(function (p) {
        var n = g.querySelector("text." + p[0]);
        if (!n || p[1] === undefined) return;
        if (n.textContent !== p[1]) n.textContent = p[1];
      });
      var tip = g.querySelector("title");
      var tipText = boxTooltip(t, graph.durationMs);
      if (tip && tip.textContent !== tipText) tip.textContent = tipText;
    });
    var pcs = {};
    asArray(graph.pcollections).forEach(function (p) { if (p) pcs[String(p.id)] = p; });
    Array.prototype.forEach.call(svg.querySelectorAll("path.edge"), function (path) {
      var tip = path.querySelector("title");
      if (!tip || !path._pcs) return;
      var text = edgeTooltip(path._pcs, pcs);
      if (tip.textContent !== text) tip.textContent = text;
    });
  }

  var expandAll = document.getElementById("graph-expand-all");
  if (expandAll) expandAll.addEventListener("click", function () {
    if (!lastGraph) return;
    asArray(lastGraph.transforms).forEach(function (t) {
      if (t && asArray(t.children).length) expanded.add(String(t.id));
    });
    renderGraph(lastGraph, true);
  });
  var collapseAll = document.getElementById("graph-collapse-all");
  if (collapseAll) collapseAll.addEventListener("click", function () {
    expanded.clear();
    renderGraph(lastGraph, true);
  });

  // ------------------------------------------------------------ metrics
  function renderMetrics(body) {
    var rows = asArray(body.user).filter(Boolean).map(function (m) {
      var kind = str(m.kind);
      return {
        key: [m.step, m.namespace, m.name, m.kind].map(str).join("\u0000"),
        cells: [
          { text: str(m.step) || DASH, mono: true },
          { text: str(m.namespace) || DASH, mono: true },
          { text: str(m.name) || DASH, mono: true },
          { text: kind || DASH },
          { text: fmtMetricValue(kind, m.committed), num: true, cls: "committed" },
          { text: fmtMetricValue(kind, m.attempted), num: true, cls: "attempted" }
        ]
      };
    });
    syncTable(document.querySelector("table#user-metrics tbody"), rows, "metric-row", "No user metrics.", 6);
  }

  // --------------------------------------------------------------- logs
  var logsBox = document.getElementById("logs");
  var levelSelect = document.getElementById("log-level");
  var logCount = 0;

  function minRank() {
    return importanceRank(levelSelect ? levelSelect.value : "DEBUG");
  }

  function applyLogFilter() {
    var min = minRank();
    var shown = 0;
    Array.prototype.forEach.call(logsBox.querySelectorAll(".log-entry"), function (n) {
      var hide = importanceRank(n.getAttribute("data-importance")) < min;
      n.hidden = hide;
      if (!hide) shown++;
    });
    updateLogCount(shown);
  }

  function updateLogCount(shown) {
    var text = shown === logCount ? fmtInt(logCount) + (logCount === 1 ? " message" : " messages")
      : fmtInt(shown) + " of " + fmtInt(logCount) + " messages";
    setText("logs-count", text);
  }

  if (levelSelect) levelSelect.addEventListener("change", applyLogFilter);

  function appendLogs(body) {
    var msgs = asArray(body.messages);
    var atBottom = logsBox.scrollHeight - logsBox.scrollTop - logsBox.clientHeight < 24;
    var min = minRank();
    var frag = document.createDocumentFragment();
    msgs.forEach(function (m) {
      if (!m || typeof m !== "object") return;
      if (isNum(m.id)) {
        if (lastLogId !== null && m.id <= lastLogId) return;
        lastLogId = m.id;
      }
      var imp = str(m.importance).toUpperCase() || "DEBUG";
      var entry = el("div", { "class": "log-entry", "data-importance": imp, "data-log-id": isNum(m.id) ? m.id : null }, [
        el("span", { "class": "badge level level-" + imp.replace(/[^A-Za-z0-9_-]/g, "_"), text: imp }),
        el("span", { "class": "log-time mono", text: fmtClock(m.time), title: isNum(m.time) ? new Date(m.time).toString() : "" }),
        el("pre", { "class": "log-text", text: str(m.text) })
      ]);
      entry.hidden = importanceRank(imp) < min;
      frag.appendChild(entry);
      logCount++;
    });
    if (frag.childNodes.length) {
      var placeholder = logsBox.querySelector(".logs-empty");
      if (placeholder) placeholder.remove();
      logsBox.appendChild(frag);
      if (atBottom) logsBox.scrollTop = logsBox.scrollHeight;
    } else if (logCount === 0 && !logsBox.querySelector(".logs-empty")) {
      logsBox.appendChild(el("div", { "class": "logs-empty muted", text: "No messages yet." }));
    }
    var shown = logsBox.querySelectorAll(".log-entry:not([hidden])").length;
    updateLogCount(shown);
    var dropped = document.getElementById("logs-dropped");
    if (dropped) {
      var n = body.dropped;
      if (isNum(n) && n > 0) {
        dropped.textContent = fmtInt(n) + " harness log " + (n === 1 ? "entry" : "entries") + " dropped (job log limit)";
        dropped.hidden = false;
      } else {
        dropped.hidden = true;
      }
    }
  }

  // ------------------------------------------------------------ refresh
  function guard(source, promise, onOk) {
    return promise.then(function (body) {
      reportError(source, null);
      onOk(body);
    }, function (err) {
      reportError(source, err);
    }).catch(function (err) {
      // A rendering bug must not stop the polling.
      reportError(source + "-render", err);
    });
  }

  function refresh() {
    var logsUrl = base + "/logs" + (lastLogId !== null ? "?after=" + encodeURIComponent(lastLogId) : "");
    return Promise.all([
      guard("job", getJSON(base), renderSummary),
      guard("graph", getJSON(base + "/graph"), function (g) { lastGraph = g; renderGraph(g, false); }),
      guard("metrics", getJSON(base + "/metrics"), renderMetrics),
      guard("logs", getJSON(logsUrl), appendLogs)
    ]).then(function () {
      if (state !== null && isTerminal(state)) {
        if (sawTerminal) return false;  // that was the last refresh
        sawTerminal = true;
      }
      return true;
    });
  }
  poller = poll(refresh);
}

// -------------------------------------------------------------------- boot

if (typeof document !== "undefined") {
  var bootPage = function () {
    var page = document.body ? document.body.getAttribute("data-page") : null;
    if (page === "job" || (!page && document.getElementById("graph"))) jobPage();
    else if (page === "jobs" || (!page && document.getElementById("jobs"))) jobsPage();
  };
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", bootPage);
  else bootPage();
}

if (typeof module !== "undefined" && module.exports) {
  module.exports = {
    layoutGraph: layoutGraph, layoutLayers: layoutLayers, indexGraph: indexGraph,
    visibleTree: visibleTree, visibleEdges: visibleEdges, graphSignature: graphSignature,
    boxLines: boxLines, fmtInt: fmtInt, fmtBytes: fmtBytes, fmtDuration: fmtDuration,
    fmtWatermark: fmtWatermark, fmtRate: fmtRate, fmtMetricValue: fmtMetricValue,
    jobIdFromPath: jobIdFromPath, isTerminal: isTerminal, importanceRank: importanceRank
  };
}
"""#
}
