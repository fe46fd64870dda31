/// Part of the dashboard's script (`WebAssets.javascript`): the graph layout (`layoutLayers`, `layoutGraph`) and box texts: plain functions, no DOM.
/// Raw string: must never contain three quotes then a hash, or a backslash then a hash.
extension WebAssets {
    static let scriptLayout = #"""
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

"""#
}
