/// WebAssets+Script: the dashboard's script (vanilla JavaScript), served as
/// text/javascript at `/assets/app.js` by the Web target's routes. It polls the
/// JSON API once a second and renders both pages; the pipeline graph layout
/// (`layoutGraph`) is plain functions with no DOM access. It must never
/// contain a raw string's closing delimiter (three quotes then a hash) or a
/// backslash followed by a hash.
extension WebAssets {
    static let javascript = #"""
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

// ---------------------------------------------------------- graph: layout

// Layered layout of one container's members (the top level or an expanded
// composite's children). sizes[id] = {w, h, cy?}; levelEdges between members.
// Longest-path layering (back edges of cycles ignored), sources pulled next
// to their first consumer, order within a layer by barycenter of the
// predecessors, each node placed at its predecessors' mean height.
function portY(size) {
  return size.cy !== undefined ? size.cy : size.h / 2;
}

function layoutLayers(members, sizes, levelEdges) {
  var idx = {};
  members.forEach(function (m, i) { idx[m] = i; });
  var succ = {};
  var pred = {};
  members.forEach(function (m) { succ[m] = []; pred[m] = []; });
  levelEdges.forEach(function (e) {
    if (idx[e.from] === undefined || idx[e.to] === undefined || e.from === e.to) return;
    if (succ[e.from].indexOf(e.to) < 0) succ[e.from].push(e.to);
  });
  // Drop back edges (DFS in member order) to get a DAG.
  var state = {};
  function dfs(v) {
    state[v] = 1;
    succ[v] = succ[v].filter(function (w) {
      if (state[w] === 1) return false;
      if (!state[w]) dfs(w);
      return true;
    });
    state[v] = 2;
  }
  members.forEach(function (m) { if (!state[m]) dfs(m); });
  members.forEach(function (m) {
    succ[m].forEach(function (w) { pred[w].push(m); });
  });
  // Topological order (Kahn, stable in member order).
  var indeg = {};
  members.forEach(function (m) { indeg[m] = pred[m].length; });
  var topo = [];
  var queue = members.filter(function (m) { return indeg[m] === 0; });
  while (queue.length) {
    var v = queue.shift();
    topo.push(v);
    succ[v].forEach(function (w) {
      indeg[w]--;
      if (indeg[w] === 0) queue.push(w);
    });
  }
  var layer = {};
  topo.forEach(function (v) {
    var l = 0;
    pred[v].forEach(function (u) { l = Math.max(l, layer[u] + 1); });
    layer[v] = l;
  });
  // Sources feeding only later layers move right, next to their first consumer.
  for (var i = topo.length - 1; i >= 0; i--) {
    var s = topo[i];
    if (pred[s].length === 0 && succ[s].length > 0) {
      var minL = Infinity;
      succ[s].forEach(function (w) { minL = Math.min(minL, layer[w]); });
      if (minL - 1 > layer[s]) layer[s] = minL - 1;
    }
  }
  var nLayers = 0;
  members.forEach(function (m) { nLayers = Math.max(nLayers, layer[m] + 1); });
  var layers = [];
  for (var l = 0; l < nLayers; l++) layers.push([]);
  members.forEach(function (m) { layers[layer[m]].push(m); });

  // Order within layers: barycenter of predecessors' positions.
  var pos = {};
  layers.forEach(function (ids) { ids.forEach(function (m, k) { pos[m] = k; }); });
  function sweep(useSucc) {
    var seq = useSucc ? layers.slice().reverse() : layers;
    seq.forEach(function (ids) {
      var bary = {};
      ids.forEach(function (m) {
        var ns = useSucc ? succ[m] : pred[m];
        if (ns.length === 0) { bary[m] = pos[m]; return; }
        var sum = 0;
        ns.forEach(function (u) { sum += pos[u]; });
        bary[m] = sum / ns.length;
      });
      ids.sort(function (a, b) {
        return (bary[a] - bary[b]) || (pos[a] - pos[b]) || (idx[a] - idx[b]);
      });
      ids.forEach(function (m, k) { pos[m] = k; });
    });
  }
  sweep(false);
  sweep(true);
  sweep(false);

  // Coordinates: layer columns left to right; within a column, each node at
  // its predecessors' mean centre, pushed down to avoid overlaps, then the
  // column shifted back up by the mean displacement.
  var x = {};
  var y = {};
  var colX = 0;
  layers.forEach(function (ids) {
    var colW = 0;
    ids.forEach(function (m) { colW = Math.max(colW, sizes[m].w); });
    ids.forEach(function (m) { x[m] = colX + (colW - sizes[m].w) / 2; });
    colX += colW + GEO.layerGap;
    // Ports (where edges attach) are at cy below a node's top: the middle of
    // a box, the middle of an open composite's content.
    var desired = ids.map(function (m) {
      var ps = pred[m];
      if (ps.length === 0) return null;
      var sum = 0;
      ps.forEach(function (u) { sum += y[u] + portY(sizes[u]); });
      return sum / ps.length;
    });
    // Nodes without predecessors stack after the previous node.
    var ports = [];
    var bottom = -Infinity;
    ids.forEach(function (m, k) {
      var cy = portY(sizes[m]);
      var c = desired[k];
      if (c === null) c = bottom === -Infinity ? cy : bottom + GEO.nodeGap + cy;
      if (bottom !== -Infinity) c = Math.max(c, bottom + GEO.nodeGap + cy);
      ports.push(c);
      bottom = c - cy + sizes[m].h;
    });
    var shift = 0;
    var n = 0;
    ids.forEach(function (m, k) {
      if (desired[k] !== null) { shift += ports[k] - desired[k]; n++; }
    });
    shift = n ? shift / n : 0;
    ids.forEach(function (m, k) { y[m] = ports[k] - shift - portY(sizes[m]); });
  });
  // Normalise to start at 0,0.
  var minY = Infinity;
  var maxX = 0;
  var maxY = 0;
  members.forEach(function (m) { minY = Math.min(minY, y[m]); });
  if (!isFinite(minY)) minY = 0;
  members.forEach(function (m) {
    y[m] -= minY;
    maxX = Math.max(maxX, x[m] + sizes[m].w);
    maxY = Math.max(maxY, y[m] + sizes[m].h);
  });
  return { x: x, y: y, layer: layer, width: maxX, height: maxY };
}

// layoutGraph(graph, expanded): expanded is a Set (or array/object) of the
// composite ids the user opened. Returns
//   {width, height,
//    boxes:  [{id, kind: "leaf"|"composite"|"expanded", x, y, w, h, transform,
//              stage, depth}],   (expanded = the header of an open composite)
//    frames: [{id, x, y, w, h}]  (outline around an open composite's children),
//    edges:  [{from, to, pcollections, x1, y1, x2, y2}],
//    stages: [{id, x, y, w, h, boxes}]}
function layoutGraph(graph, expanded) {
  var model = indexGraph(graph);
  var vis = visibleTree(model, expanded);
  var edges = visibleEdges(model, vis);

  // The member of container `c` (an id, or null = top level) holding item `id`.
  function memberOf(id, c) {
    var cur = id;
    while (cur !== undefined && cur !== null) {
      if (vis.vparent[cur] === c) return cur;
      cur = vis.vparent[cur];
    }
    return null;
  }
  var rel = {};    // id -> {x, y} relative to its container's content origin
  var size = {};   // id -> {w, h}
  var inner = {};  // frame id -> content size
  function layoutContainer(container, members) {
    members.forEach(function (m) {
      if (vis.items[m].kind === "frame") {
        var s = layoutContainer(m, vis.items[m].members);
        inner[m] = s;
        var w = Math.max(s.width + 2 * GEO.framePad, GEO.boxW);
        var h = s.height + GEO.frameHeader + GEO.frameTop + GEO.framePad;
        size[m] = { w: w, h: h, cy: GEO.frameHeader + GEO.frameTop + s.height / 2 };
      } else {
        size[m] = { w: GEO.boxW, h: model.children[m].length ? GEO.compositeH : GEO.boxH };
      }
    });
    var lifted = [];
    var seen = {};
    edges.forEach(function (e) {
      var a = memberOf(e.from, container);
      var b = memberOf(e.to, container);
      if (a === null || b === null || a === b) return;
      var key = a + "\u0000" + b;
      if (seen[key]) return;
      seen[key] = true;
      lifted.push({ from: a, to: b });
    });
    var lay = layoutLayers(members, size, lifted);
    members.forEach(function (m) { rel[m] = { x: lay.x[m], y: lay.y[m] }; });
    return { width: lay.width, height: lay.height };
  }
  var topSize = layoutContainer(null, vis.top);

  var abs = {};
  var boxes = [];
  var frames = [];
  function place(members, ox, oy) {
    members.forEach(function (m) {
      var ax = ox + rel[m].x;
      var ay = oy + rel[m].y;
      abs[m] = { x: ax, y: ay };
      var t = model.byId[m];
      var stage = t.stage === null || t.stage === undefined || t.stage === "" ? null : String(t.stage);
      if (vis.items[m].kind === "frame") {
        var s = size[m];
        frames.push({ id: m, x: ax, y: ay, w: s.w, h: s.h, transform: t, depth: model.depth[m] || 0 });
        boxes.push({ id: m, kind: "expanded", x: ax, y: ay, w: s.w, h: GEO.frameHeader,
          transform: t, stage: stage, depth: model.depth[m] || 0 });
        var cw = inner[m].width;
        place(vis.items[m].members, ax + (s.w - cw) / 2, ay + GEO.frameHeader + GEO.frameTop);
      } else {
        boxes.push({ id: m, kind: model.children[m].length ? "composite" : "leaf", x: ax, y: ay,
          w: size[m].w, h: size[m].h, transform: t, stage: stage, depth: model.depth[m] || 0 });
      }
    });
  }
  place(vis.top, GEO.margin, GEO.margin + 12);

  var boxById = {};
  boxes.forEach(function (b) { boxById[b.id] = b; });
  edges.forEach(function (e) {
    var a = boxById[e.from];
    var b = boxById[e.to];
    e.x1 = a.x + a.w;
    e.y1 = a.y + a.h / 2;
    e.x2 = b.x;
    e.y2 = b.y + b.h / 2;
  });

  // Stage outlines around the visible boxes (not open composites' headers)
  // of each stage.
  var stageOrder = [];
  asArray((graph || {}).stages).forEach(function (s) {
    if (s && s.id !== null && s.id !== undefined) stageOrder.push(String(s.id));
  });
  var stageBoxes = {};
  boxes.forEach(function (b) {
    if (b.kind === "expanded" || b.stage === null) return;
    if (!stageBoxes[b.stage]) {
      stageBoxes[b.stage] = [];
      if (stageOrder.indexOf(b.stage) < 0) stageOrder.push(b.stage);
    }
    stageBoxes[b.stage].push(b);
  });
  var stages = [];
  stageOrder.forEach(function (sid) {
    var bs = stageBoxes[sid];
    if (!bs || !bs.length) return;
    var x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    bs.forEach(function (b) {
      x1 = Math.min(x1, b.x); y1 = Math.min(y1, b.y);
      x2 = Math.max(x2, b.x + b.w); y2 = Math.max(y2, b.y + b.h);
    });
    var p = GEO.stagePad;
    stages.push({ id: sid, x: x1 - p, y: y1 - p, w: x2 - x1 + 2 * p, h: y2 - y1 + 2 * p,
      boxes: bs.map(function (b) { return b.id; }) });
  });

  var width = GEO.margin * 2 + topSize.width;
  var height = GEO.margin * 2 + 12 + topSize.height;
  return { width: Math.max(width, 120), height: Math.max(height, 60), boxes: boxes, frames: frames,
    edges: edges, stages: stages, model: model };
}

// The part of a graph answer that decides the layout (not counts or watermarks).
function graphSignature(graph) {
  var g = graph || {};
  return JSON.stringify([
    asArray(g.roots),
    asArray(g.transforms).map(function (t) {
      t = t || {};
      return [t.id, t.label, t.name, t.parent, asArray(t.children), asArray(t.inputs), asArray(t.outputs), t.stage];
    }),
    asArray(g.pcollections).map(function (p) { return [p && p.id, p && p.producer]; }),
    asArray(g.stages).map(function (s) { return s && s.id; })
  ]);
}

// Text lines of one box.
function boxLines(t, durationMs) {
  t = t || {};
  return {
    counts: "in " + fmtInt(t.elementsIn) + " \u00b7 out " + fmtInt(t.elementsOut),
    volume: fmtBytes(t.bytesOut) + " out \u00b7 " + fmtRate(t.elementsOut, durationMs),
    watermark: "wm " + fmtWatermark(t.inputWatermark, true) + " / " + fmtWatermark(t.outputWatermark, true)
  };
}

// The header of an open composite: "\u2212 label" left, counts right when they fit.
function headerText(label, counts, width) {
  var maxChars = Math.floor((width - 16) / GEO.charW);
  var head = "\u2212 " + str(label);
  if (head.length + 3 + counts.length <= maxChars) return { label: head, counts: counts };
  return { label: truncate(head, maxChars), counts: "" };
}

function edgeTooltip(pcollections, byPc) {
  return asArray(pcollections).map(function (pc) {
    var p = byPc[pc] || {};
    return str(p.name || pc) + ": " + fmtInt(p.elements) + " elements, " + fmtBytes(p.bytes);
  }).join("\n");
}

function boxTooltip(t, durationMs) {
  t = t || {};
  var lines = [str(t.name || t.label || t.id)];
  if (t.urn) lines.push("urn: " + t.urn);
  lines.push("id: " + str(t.id));
  if (t.stage) lines.push("stage: " + t.stage);
  lines.push("elements in " + fmtInt(t.elementsIn) + ", out " + fmtInt(t.elementsOut));
  lines.push("bytes out " + fmtBytes(t.bytesOut) + ", " + fmtRate(t.elementsOut, durationMs));
  lines.push("input watermark " + fmtWatermark(t.inputWatermark, false));
  lines.push("output watermark " + fmtWatermark(t.outputWatermark, false));
  return lines.join("\n");
}

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
  var cancelPending = false;

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
    var box = document.getElementById("job-actions");
    var button = document.getElementById("cancel-button");
    if (state === null || isTerminal(state)) {
      if (button) button.remove();
      return;
    }
    if (!button) {
      button = el("button", { type: "button", id: "cancel-button", "class": "danger", text: "Cancel" });
      button.addEventListener("click", cancelJob);
      box.appendChild(button);
    }
    var stopping = state === "CANCELLING" || state === "DRAINING";
    button.disabled = cancelPending || stopping;
    var label = cancelPending ? "Cancelling\u2026" : stopping ? (state === "DRAINING" ? "Draining\u2026" : "Cancelling\u2026") : "Cancel";
    if (button.textContent !== label) button.textContent = label;
  }

  function showCancelResult(text, isError) {
    var r = document.getElementById("cancel-result");
    r.textContent = text;
    r.className = "cancel-result " + (isError ? "banner banner-error" : "banner banner-info");
    r.hidden = false;
  }

  function cancelJob() {
    if (cancelPending) return;
    cancelPending = true;
    renderCancel();
    requestJSON("POST", base + "/cancel").then(function (body) {
      showCancelResult("Cancel requested: " + (str(body.state) || "accepted"), false);
    }, function (err) {
      showCancelResult("Cancel failed: " + err.message, true);
    }).then(function () {
      cancelPending = false;
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
