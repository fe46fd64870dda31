/// Part of the dashboard's script (`WebAssets.javascript`): constants, formatting helpers and the graph model (`indexGraph`, `visibleTree`, `visibleEdges`).
/// Raw string: must never contain three quotes then a hash, or a backslash then a hash.
extension WebAssets {
    static let scriptModel = #"""
// beam-job-server dashboard: plain JavaScript, no framework, no network
// besides the JSON API. Pages: "/" (jobs) and "/jobs/{id}" (one job).
"use strict";

// ---------------------------------------------------------------- constants

var JOB_STATES = ["STOPPED", "STARTING", "RUNNING", "DONE", "FAILED",
  "CANCELLING", "CANCELLED", "DRAINING", "DRAINED", "UPDATED"];
var TERMINAL_STATES = ["DONE", "FAILED", "CANCELLED", "DRAINED", "UPDATED"];
var IMPORTANCES = ["DEBUG", "DETAILED", "BASIC", "WARNING", "ERROR"];
var POLL_MS = 1000;

// Graph geometry (pixels). Layers run left to right.
var GEO = {
  boxW: 224, boxH: 78, compositeH: 78,
  layerGap: 64, nodeGap: 30,
  framePad: 14, frameTop: 24, frameHeader: 24,
  margin: 24, stagePad: 7, lineH: 15, charW: 7.1
};

// ------------------------------------------------------------------ helpers

function isTerminal(state) {
  return TERMINAL_STATES.indexOf(state) >= 0;
}

function importanceRank(importance) {
  var i = IMPORTANCES.indexOf(String(importance || "").toUpperCase());
  return i < 0 ? 0 : i;
}

function isNum(v) {
  return typeof v === "number" && isFinite(v);
}

function asArray(v) {
  return Array.isArray(v) ? v : [];
}

function str(v) {
  return v === null || v === undefined ? "" : String(v);
}

var DASH = "\u2013";

// 1200 -> "1,200"; independent of the browser's locale.
function fmtInt(n) {
  if (!isNum(n)) return DASH;
  var neg = n < 0;
  var s = String(Math.round(Math.abs(n)));
  var out = "";
  while (s.length > 3) {
    out = "," + s.slice(-3) + out;
    s = s.slice(0, -3);
  }
  return (neg ? "-" : "") + s + out;
}

// A plain number for metric values: integers grouped, others to 4 significant digits.
function fmtNumber(n) {
  if (!isNum(n)) return DASH;
  if (Math.round(n) === n) return fmtInt(n);
  var a = Math.abs(n);
  if (a >= 1000) return fmtInt(n);
  return String(Number(n.toPrecision(4)));
}

function fmtBytes(n) {
  if (!isNum(n)) return DASH;
  var units = ["B", "KiB", "MiB", "GiB", "TiB"];
  var i = 0;
  var v = n;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return fmtInt(v) + " B";
  return (Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(1)) + " " + units[i];
}

// 1234 -> "1.2 s"; 184000 -> "3 min 4 s"; 3 h 2 min; 2 d 5 h.
function fmtDuration(ms) {
  if (!isNum(ms) || ms < 0) return DASH;
  if (ms < 1000) return Math.round(ms) + " ms";
  if (ms < 60000) {
    var s = ms / 1000;
    return (s < 10 ? (Math.floor(s * 10) / 10).toFixed(1) : String(Math.floor(s))) + " s";
  }
  var total = Math.floor(ms / 1000);
  var d = Math.floor(total / 86400);
  var h = Math.floor((total % 86400) / 3600);
  var m = Math.floor((total % 3600) / 60);
  var sec = total % 60;
  if (d > 0) return d + " d" + (h ? " " + h + " h" : "");
  if (h > 0) return h + " h" + (m ? " " + m + " min" : "");
  return m + " min" + (sec ? " " + sec + " s" : "");
}

function pad2(n) {
  return (n < 10 ? "0" : "") + n;
}

function pad3(n) {
  return (n < 10 ? "00" : n < 100 ? "0" : "") + n;
}

// Milliseconds since the epoch -> local "2026-12-02 10:00:00".
function fmtTime(ms) {
  if (!isNum(ms)) return DASH;
  var d = new Date(ms);
  if (isNaN(d.getTime())) return DASH;
  return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) +
    " " + pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds());
}

// Local "10:00:00.123" (log lines).
function fmtClock(ms) {
  if (!isNum(ms)) return DASH;
  var d = new Date(ms);
  if (isNaN(d.getTime())) return DASH;
  return pad2(d.getHours()) + ":" + pad2(d.getMinutes()) + ":" + pad2(d.getSeconds()) +
    "." + pad3(d.getMilliseconds());
}

// Watermarks: ISO-8601 UTC string, "-inf", "+inf" or null.
// short: the time of day only (graph boxes); the full value goes in tooltips.
function fmtWatermark(w, short) {
  if (w === null || w === undefined || w === "") return "?";
  var s = String(w);
  if (s === "-inf") return "\u2212\u221e";
  if (s === "+inf" || s === "inf") return "+\u221e";
  var m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$/.exec(s);
  if (!m) return s;
  var frac = m[3] ? m[3].slice(0, 4) : "";
  var zone = m[4] === "Z" || !m[4] ? "Z" : m[4];
  if (short) return m[2] + frac + zone;
  return m[1] + " " + m[2] + frac + zone;
}

// elementsOut per second over the job's duration.
function fmtRate(elements, durationMs) {
  if (!isNum(elements) || !isNum(durationMs) || durationMs <= 0) return DASH + "/s";
  var r = elements / (durationMs / 1000);
  var txt;
  if (r >= 1e6) txt = (r / 1e6).toFixed(1) + "M";
  else if (r >= 1e4) txt = (r / 1e3).toFixed(0) + "k";
  else if (r >= 1000) txt = (r / 1e3).toFixed(1) + "k";
  else if (r >= 10) txt = r.toFixed(0);
  else txt = r.toFixed(1);
  return txt + "/s";
}

// A user metric value by kind: counter number, distribution object,
// gauge {value, time}, stringset array.
function fmtMetricValue(kind, v) {
  if (v === null || v === undefined) return DASH;
  var k = String(kind || "").toLowerCase();
  if (k === "distribution" || (typeof v === "object" && !Array.isArray(v) && "count" in v)) {
    var mean = v.mean;
    if (!isNum(mean) && isNum(v.sum) && isNum(v.count) && v.count > 0) mean = v.sum / v.count;
    return "count " + fmtNumber(v.count) + ", mean " + fmtNumber(mean) +
      ", min " + fmtNumber(v.min) + ", max " + fmtNumber(v.max);
  }
  if (k === "gauge" || (typeof v === "object" && !Array.isArray(v) && "value" in v)) {
    return typeof v === "object" ? fmtNumber(v.value) : fmtNumber(v);
  }
  if (Array.isArray(v)) {
    return v.map(str).join(", ");
  }
  if (isNum(v)) return fmtNumber(v);
  if (typeof v === "object") {
    try { return JSON.stringify(v); } catch (e) { return String(v); }
  }
  return String(v);
}

function truncate(text, maxChars) {
  var s = str(text);
  if (s.length <= maxChars) return s;
  return s.slice(0, Math.max(1, maxChars - 1)) + "\u2026";
}

// ---------------------------------------------------------- graph: model

// Indexes the /graph answer. Tolerates missing fields, unknown ids and
// transforms the roots do not reach (they become roots themselves).
function indexGraph(graph) {
  var g = graph || {};
  var byId = {};
  var order = [];
  asArray(g.transforms).forEach(function (t) {
    if (!t || t.id === null || t.id === undefined) return;
    var id = String(t.id);
    if (byId[id]) return;
    byId[id] = t;
    order.push(id);
  });
  var children = {};
  var parent = {};
  order.forEach(function (id) {
    var kids = [];
    asArray(byId[id].children).forEach(function (c) {
      c = String(c);
      if (byId[c] && c !== id && kids.indexOf(c) < 0 && parent[c] === undefined) {
        kids.push(c);
        parent[c] = id;
      }
    });
    children[id] = kids;
  });
  // A child named only through its own "parent" field.
  order.forEach(function (id) {
    var p = byId[id].parent;
    if (parent[id] === undefined && p !== null && p !== undefined && byId[String(p)] && String(p) !== id) {
      parent[id] = String(p);
      children[String(p)].push(id);
    }
  });
  // Break parent cycles, if any, so every walk up terminates.
  order.forEach(function (id) {
    var seen = {};
    var cur = id;
    while (parent[cur] !== undefined) {
      if (seen[cur]) {
        var p = parent[cur];
        children[p] = children[p].filter(function (c) { return c !== cur; });
        delete parent[cur];
        break;
      }
      seen[cur] = true;
      cur = parent[cur];
    }
  });
  var roots = [];
  asArray(g.roots).forEach(function (r) {
    r = String(r);
    if (byId[r] && parent[r] === undefined && roots.indexOf(r) < 0) roots.push(r);
  });
  // Anything not reachable from the roots is shown at the top level too.
  var reached = {};
  function mark(id) {
    if (reached[id]) return;
    reached[id] = true;
    children[id].forEach(mark);
  }
  roots.forEach(mark);
  order.forEach(function (id) {
    if (!reached[id] && parent[id] === undefined) {
      roots.push(id);
      mark(id);
    }
  });
  var depth = {};
  function setDepth(id, d) {
    depth[id] = d;
    children[id].forEach(function (c) { setDepth(c, d + 1); });
  }
  roots.forEach(function (r) { setDepth(r, 0); });

  // PCollections: the deepest transform listing one as output is its producer
  // (a composite lists its leaves' outputs too); consumers are the leaves
  // listing it as input.
  var pcolls = {};
  asArray(g.pcollections).forEach(function (p) {
    if (p && p.id !== null && p.id !== undefined) pcolls[String(p.id)] = p;
  });
  var producer = {};
  function offerProducer(pc, tid) {
    if (!byId[tid]) return;
    var cur = producer[pc];
    if (cur === undefined || (depth[tid] || 0) > (depth[cur] || 0)) producer[pc] = tid;
  }
  Object.keys(pcolls).forEach(function (pc) {
    var p = pcolls[pc].producer;
    if (p !== null && p !== undefined) offerProducer(pc, String(p));
  });
  order.forEach(function (id) {
    asArray(byId[id].outputs).forEach(function (pc) { offerProducer(String(pc), id); });
  });
  var consumers = {};
  order.forEach(function (id) {
    if (children[id].length > 0) return;
    asArray(byId[id].inputs).forEach(function (pc) {
      pc = String(pc);
      if (!consumers[pc]) consumers[pc] = [];
      if (consumers[pc].indexOf(id) < 0) consumers[pc].push(id);
    });
  });
  // A composite with inputs none of its leaves consume (should not happen):
  // let the composite itself consume them.
  order.forEach(function (id) {
    if (children[id].length === 0) return;
    asArray(byId[id].inputs).forEach(function (pc) {
      pc = String(pc);
      var list = consumers[pc] || [];
      var inside = list.some(function (c) { return isAncestor(parent, id, c); });
      if (!inside) {
        if (!consumers[pc]) consumers[pc] = [];
        consumers[pc].push(id);
      }
    });
  });
  return {
    byId: byId, order: order, children: children, parent: parent, roots: roots,
    depth: depth, pcolls: pcolls, producer: producer, consumers: consumers
  };
}

function isAncestor(parent, anc, id) {
  var cur = parent[id];
  while (cur !== undefined) {
    if (cur === anc) return true;
    cur = parent[cur];
  }
  return false;
}

function isExpanded(expanded, id) {
  if (!expanded) return false;
  if (typeof expanded.has === "function") return expanded.has(id);
  if (Array.isArray(expanded)) return expanded.indexOf(id) >= 0;
  return !!expanded[id];
}

// Which transforms are drawn. Returns
//   rep[id]: the visible box standing for transform id (itself, or its
//            collapsed ancestor), or null for an expanded composite;
//   items[id]: {kind: "box"|"frame", members: [...] for frames};
//   top: the top-level visible items.
function visibleTree(model, expanded) {
  var rep = {};
  var items = {};
  var vparent = {};
  function walk(id, above, container) {
    var isComposite = model.children[id].length > 0;
    if (above !== null) {
      rep[id] = above;
      model.children[id].forEach(function (c) { walk(c, above, null); });
      return null;
    }
    vparent[id] = container;
    if (isComposite && isExpanded(expanded, id)) {
      rep[id] = null;
      var members = [];
      items[id] = { kind: "frame", members: members };
      model.children[id].forEach(function (c) {
        var m = walk(c, null, id);
        if (m !== null) members.push(m);
      });
      return id;
    }
    rep[id] = id;
    items[id] = { kind: "box", members: [] };
    model.children[id].forEach(function (c) { walk(c, id, null); });
    return id;
  }
  var top = [];
  model.roots.forEach(function (r) {
    var m = walk(r, null, null);
    if (m !== null) top.push(m);
  });
  return { rep: rep, items: items, vparent: vparent, top: top };
}

// Edges between visible boxes: producer -> consumer of each PCollection,
// attached to the visible ancestor; self-edges and duplicates dropped.
function visibleEdges(model, vis) {
  var edges = [];
  var seen = {};
  Object.keys(model.consumers).forEach(function (pc) {
    var prod = model.producer[pc];
    if (prod === undefined) return;
    var from = vis.rep[prod];
    if (from === null || from === undefined) return;
    model.consumers[pc].forEach(function (c) {
      var to = vis.rep[c];
      if (to === null || to === undefined || to === from) return;
      var key = from + "\u0000" + to;
      if (seen[key]) {
        if (seen[key].pcollections.indexOf(pc) < 0) seen[key].pcollections.push(pc);
        return;
      }
      var e = { from: from, to: to, pcollections: [pc] };
      seen[key] = e;
      edges.push(e);
    });
  });
  return edges;
}

"""#
}
