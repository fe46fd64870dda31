/// WebAssets+Style: the dashboard's stylesheet (light theme, system fonts),
/// served as text/css at `/assets/app.css` by the Web target's routes.
extension WebAssets {
    static let css = #"""
/* beam-job-server dashboard: light theme, system fonts only. */
:root {
  --bg: #f5f6f8;
  --card: #ffffff;
  --text: #1f2328;
  --muted: #667085;
  --border: #d9dde3;
  --border-soft: #eceef2;
  --accent: #1f6feb;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  --blue: #1f6feb;   --blue-bg: #ddeaff;
  --green: #1a7f37;  --green-bg: #d8f3df;
  --red: #cf222e;    --red-bg: #ffe1e1;
  --grey: #59636e;   --grey-bg: #e7e9ec;
  --amber: #9a6700;  --amber-bg: #fff1c2;
  --teal: #0a7a7a;   --teal-bg: #d5f2f0;
}

* { box-sizing: border-box; }
[hidden] { display: none !important; }

html, body { margin: 0; padding: 0; }
body {
  background: var(--bg);
  color: var(--text);
  font: 14px/1.45 var(--sans);
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
h1 { font-size: 22px; margin: 0; font-weight: 600; word-break: break-all; }
h2 { font-size: 16px; margin: 0; font-weight: 600; }
.mono, code, pre { font-family: var(--mono); font-size: 12.5px; }
.muted { color: var(--muted); }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.spacer { flex: 1; }

/* top bar */
.topbar {
  display: flex; align-items: center; gap: 16px;
  padding: 10px 24px;
  background: #24292f; color: #e6edf3;
}
.topbar .brand { color: #fff; font-weight: 700; font-family: var(--mono); font-size: 15px; }
.topbar-link { color: #c9d1d9; }
.topbar-note { color: #8b949e; font-size: 13px; }

main { padding: 18px 24px 40px; max-width: 1600px; margin: 0 auto; }

.card {
  background: var(--card);
  border: 1px solid var(--border);
  border-radius: 8px;
  padding: 14px 16px;
  margin-bottom: 16px;
  min-width: 0;
}
.section-head {
  display: flex; align-items: center; flex-wrap: wrap; gap: 10px 14px;
  margin-bottom: 10px;
}
.section-head .hint { font-size: 12px; }
.two-col { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 16px; }
.two-col > .card { margin-bottom: 16px; }
@media (max-width: 900px) { .two-col { grid-template-columns: minmax(0, 1fr); } }

/* controls */
.control { display: inline-flex; align-items: center; gap: 6px; color: var(--muted); font-size: 13px; }
select, button {
  font: inherit; font-size: 13px;
  border: 1px solid var(--border); border-radius: 6px;
  background: #fff; color: var(--text);
  padding: 4px 10px;
}
button { cursor: pointer; background: #f6f8fa; }
button:hover:not(:disabled) { background: #eef1f4; }
button:disabled { cursor: default; opacity: 0.6; }
button.small { padding: 2px 8px; font-size: 12px; }
button.danger { color: #fff; background: var(--red); border-color: #a40e26; font-weight: 600; }
button.danger:hover:not(:disabled) { background: #a40e26; }

/* banners */
.banner {
  border-radius: 6px; padding: 8px 12px; margin-bottom: 12px;
  white-space: pre-wrap; font-size: 13px;
}
.banner-error { background: var(--red-bg); color: #86181d; border: 1px solid #f5b5b9; }
.banner-info { background: var(--blue-bg); color: #0b3d91; border: 1px solid #b6d0fb; }
.cancel-result { margin: 10px 0 0; }

/* tables */
.table-scroll { overflow-x: auto; }
table.data { border-collapse: collapse; width: 100%; }
table.data th, table.data td {
  padding: 6px 10px; text-align: left; vertical-align: top;
  border-bottom: 1px solid var(--border-soft);
}
table.data th {
  font-size: 12px; font-weight: 600; color: var(--muted);
  text-transform: uppercase; letter-spacing: 0.03em;
  border-bottom: 1px solid var(--border); white-space: nowrap;
}
table.data th.num, table.data td.num { text-align: right; }
table.data tbody tr:hover { background: #f6f8fa; }
table.data td.mono { word-break: break-all; }
table.data tr.empty-row td { color: var(--muted); text-align: center; padding: 14px; }
table.compact td { padding: 3px 8px; }
table#jobs td.job-id { color: var(--muted); }
table#jobs td.job-submitted, table#jobs td.job-duration { white-space: nowrap; }
td.from-history::after {
  content: "history"; margin-left: 8px; font-size: 11px; color: var(--muted);
  border: 1px solid var(--border); border-radius: 4px; padding: 0 4px;
}
.empty { text-align: center; padding: 10px; margin: 0; }

/* badges */
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px;
  font: 600 11.5px/1.6 var(--mono); letter-spacing: 0.02em;
  background: var(--grey-bg); color: var(--grey); white-space: nowrap;
}
.badge.small { font-size: 10.5px; padding: 0 6px; }
.state-RUNNING { background: var(--blue-bg); color: var(--blue); }
.state-DONE { background: var(--green-bg); color: var(--green); }
.state-FAILED { background: var(--red-bg); color: var(--red); }
.state-CANCELLED, .state-CANCELLING { background: var(--grey-bg); color: var(--grey); }
.state-STARTING, .state-STOPPED { background: var(--amber-bg); color: var(--amber); }
.state-DRAINING, .state-DRAINED, .state-UPDATED { background: var(--teal-bg); color: var(--teal); }
.worker-busy { background: var(--blue-bg); color: var(--blue); }
.worker-idle { background: var(--green-bg); color: var(--green); }
.worker-starting { background: var(--amber-bg); color: var(--amber); }
.worker-stopped { background: var(--grey-bg); color: var(--grey); }
.tag {
  font-size: 11.5px; color: var(--muted);
  border: 1px solid var(--border); border-radius: 4px; padding: 0 6px;
}
.tag-warn { color: var(--amber); background: var(--amber-bg); border-color: #f0d27a; }

/* job header */
.job-title-row { display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
.job-title-row #job-state { font-size: 13px; padding: 2px 10px; }
.facts {
  display: flex; flex-wrap: wrap; gap: 8px 28px;
  margin: 12px 0 4px;
}
.facts dt { font-size: 11.5px; color: var(--muted); text-transform: uppercase; letter-spacing: 0.03em; }
.facts dd { margin: 0; word-break: break-all; }
.state-history { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 6px; margin-top: 8px; font-size: 12px; }
.state-history .arrow { color: var(--muted); }
pre.job-error {
  margin: 12px 0 0; padding: 10px 12px;
  background: #fff5f5; color: #86181d;
  border: 1px solid #f5b5b9; border-left: 4px solid var(--red); border-radius: 6px;
  white-space: pre-wrap; word-break: break-word;
  max-height: 420px; overflow: auto;
}
#options-box { margin-top: 10px; }
#options-box summary { cursor: pointer; color: var(--muted); font-size: 13px; }

/* pipeline graph */
.graph-scroll {
  overflow: auto; max-height: 75vh;
  border: 1px solid var(--border-soft); border-radius: 6px;
  background: #fbfcfd;
}
svg#graph { display: block; font-family: var(--sans); }
svg#graph .edge { fill: none; stroke: #8c959f; stroke-width: 1.5; }
svg#graph .edge:hover { stroke: var(--accent); stroke-width: 2.5; }
svg#graph .arrow-head { fill: #8c959f; }
svg#graph .composite-frame { fill: rgba(31, 111, 235, 0.035); stroke: #b6c6dd; stroke-width: 1; }
svg#graph .stage-outline {
  fill: none; stroke: #9a6700; stroke-width: 1.2; stroke-dasharray: 5 4; opacity: 0.75;
}
svg#graph .stage-label { font: 10px var(--mono); fill: #9a6700; }
svg#graph g.transform .box { fill: #fff; stroke: #8c959f; stroke-width: 1.2; }
svg#graph g.transform .label { font-size: 12.5px; font-weight: 600; fill: var(--text); }
svg#graph g.transform .counts { font: 11px var(--mono); fill: #24292f; }
svg#graph g.transform .volume, svg#graph g.transform .watermark { font: 11px var(--mono); fill: var(--muted); }
svg#graph g.transform:hover .box { stroke: var(--accent); }
svg#graph g.composite { cursor: pointer; }
svg#graph g.composite .box { fill: #f3f7ff; stroke: #5b8bd9; }
svg#graph g.composite .marker { font: 700 16px var(--mono); fill: var(--accent); }
svg#graph g.composite.expanded .box { fill: #e6eefc; stroke: #b6c6dd; }
svg#graph g.composite.expanded .label { fill: #0b3d91; }
svg#graph g.composite:focus { outline: none; }
svg#graph g.composite:focus .box { stroke: var(--accent); stroke-width: 2; }

/* autoscaling */
ol.decisions { list-style: none; margin: 0; padding: 0; max-height: 260px; overflow: auto; }
ol.decisions li { display: flex; gap: 12px; padding: 4px 0; border-bottom: 1px solid var(--border-soft); }
ol.decisions li.empty { display: block; border: 0; text-align: left; padding: 4px 0; }
.decision-time { color: var(--muted); white-space: nowrap; }
.decision-workers { font-weight: 600; white-space: nowrap; }

/* messages and logs */
.logs {
  max-height: 520px; overflow: auto;
  border: 1px solid var(--border-soft); border-radius: 6px;
  background: #fbfcfd;
  font-family: var(--mono); font-size: 12.5px;
}
.logs-empty { padding: 10px 12px; font-family: var(--sans); }
.log-entry {
  display: grid; grid-template-columns: 84px 96px minmax(0, 1fr);
  gap: 10px; align-items: start;
  padding: 3px 10px; border-bottom: 1px solid var(--border-soft);
}
.log-entry .badge { justify-self: start; margin-top: 1px; }
.log-time { color: var(--muted); white-space: nowrap; }
pre.log-text { margin: 0; white-space: pre-wrap; word-break: break-word; }
.level-DEBUG { background: #eef0f3; color: #6e7781; }
.level-DETAILED { background: #eef0f3; color: #424a53; }
.level-BASIC { background: var(--blue-bg); color: var(--blue); }
.level-WARNING { background: var(--amber-bg); color: var(--amber); }
.level-ERROR { background: var(--red-bg); color: var(--red); }
.log-entry[data-importance="WARNING"] { background: #fffbeb; }
.log-entry[data-importance="ERROR"] { background: #fff5f5; }
.log-entry[data-importance="ERROR"] pre.log-text { color: #86181d; }
"""#
}
