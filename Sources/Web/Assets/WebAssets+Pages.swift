/// WebAssets+Pages: the two HTML pages, `/` (jobs) and `/jobs/{id}` (one job).
/// Served as text/html by the Web target's routes; both load `/assets/app.css`
/// and `/assets/app.js`, which fill them from the JSON API.
extension WebAssets {
    /// `/`: the jobs table (`table#jobs`) and its state filter (`select#state-filter`).
    static let indexHTML = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>beam-job-server</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body data-page="jobs">
<header class="topbar">
  <a class="brand" href="/">beam-job-server</a>
  <span class="topbar-note">portable Apache Beam runner</span>
  <span class="spacer"></span>
  <a class="topbar-link" href="/metrics">/metrics</a>
</header>
<main>
  <div id="error-banner" class="banner banner-error" role="alert" hidden></div>
  <section class="card">
    <div class="section-head">
      <h2>Jobs</h2>
      <label class="control">State
        <select id="state-filter">
          <option value="">all</option>
          <option value="STOPPED">STOPPED</option>
          <option value="STARTING">STARTING</option>
          <option value="RUNNING">RUNNING</option>
          <option value="DONE">DONE</option>
          <option value="FAILED">FAILED</option>
          <option value="CANCELLING">CANCELLING</option>
          <option value="CANCELLED">CANCELLED</option>
          <option value="DRAINING">DRAINING</option>
          <option value="DRAINED">DRAINED</option>
          <option value="UPDATED">UPDATED</option>
        </select>
      </label>
      <span id="jobs-count" class="muted"></span>
    </div>
    <div class="table-scroll">
      <table id="jobs" class="data">
        <thead>
          <tr><th>Name</th><th>Id</th><th>State</th><th>Submitted</th><th class="num">Duration</th><th>Environments</th><th class="num">Workers</th></tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
    <p id="jobs-empty" class="muted empty" hidden>No jobs.</p>
  </section>
</main>
</body>
</html>
"""#

    /// `/jobs/{id}`: one job; the script reads the id from `location.pathname`.
    static let jobHTML = #"""
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>beam-job-server</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/assets/app.css">
<script src="/assets/app.js" defer></script>
</head>
<body data-page="job">
<header class="topbar">
  <a class="brand" href="/">beam-job-server</a>
  <a class="topbar-link" href="/">&larr; all jobs</a>
  <span class="spacer"></span>
  <a class="topbar-link" href="/metrics">/metrics</a>
</header>
<main>
  <div id="error-banner" class="banner banner-error" role="alert" hidden></div>
  <section class="card job-header">
    <div class="job-title-row">
      <h1 id="job-name">&hellip;</h1>
      <span id="job-state" class="badge">&hellip;</span>
      <span id="job-history-tag" class="tag" hidden>from history</span>
      <span class="spacer"></span>
      <span id="job-actions"></span>
    </div>
    <div id="cancel-result" class="cancel-result" hidden></div>
    <dl class="facts">
      <div><dt>Id</dt><dd id="job-id" class="mono"></dd></div>
      <div><dt>Submitted</dt><dd id="job-submitted"></dd></div>
      <div><dt>Ended</dt><dd id="job-ended"></dd></div>
      <div><dt>Duration</dt><dd id="job-duration"></dd></div>
      <div><dt>Environments</dt><dd id="job-environments" class="mono"></dd></div>
      <div><dt>Workers</dt><dd id="job-workers"></dd></div>
      <div><dt>Bundles in flight</dt><dd id="bundles-in-flight"></dd></div>
    </dl>
    <div id="state-history" class="state-history"></div>
    <div id="job-error-box"></div>
    <details id="options-box">
      <summary>Pipeline options</summary>
      <div class="table-scroll">
        <table id="options" class="data compact"><tbody></tbody></table>
      </div>
    </details>
  </section>

  <section class="card">
    <div class="section-head">
      <h2>Pipeline graph</h2>
      <button type="button" id="graph-expand-all" class="small">Expand all</button>
      <button type="button" id="graph-collapse-all" class="small">Collapse all</button>
      <span class="muted hint">Click a composite (+) to expand it, its header (&minus;) to collapse it. Dashed outlines are fused stages.</span>
    </div>
    <div class="graph-scroll">
      <svg id="graph" xmlns="http://www.w3.org/2000/svg" role="img" aria-label="pipeline graph"></svg>
    </div>
    <p id="graph-empty" class="muted empty" hidden>No transforms.</p>
  </section>

  <section class="card">
    <div class="section-head"><h2>Stages</h2></div>
    <div class="table-scroll">
      <table id="stages" class="data">
        <thead>
          <tr><th>Stage</th><th class="num">Transforms</th><th>Environment</th><th>Input watermark</th><th>Output watermark</th><th class="num">Bundles in flight</th><th class="num">Queued input</th></tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
  </section>

  <div class="two-col">
    <section class="card">
      <div class="section-head"><h2>Workers</h2></div>
      <div class="table-scroll">
        <table id="workers" class="data">
          <thead>
            <tr><th>Worker</th><th>Environment</th><th class="num">PID</th><th>State</th><th class="num">Bundles</th></tr>
          </thead>
          <tbody></tbody>
        </table>
      </div>
    </section>
    <section class="card">
      <div class="section-head"><h2>Autoscaling</h2></div>
      <ol id="autoscaling" class="decisions"></ol>
    </section>
  </div>

  <section class="card">
    <div class="section-head"><h2>User metrics</h2></div>
    <div class="table-scroll">
      <table id="user-metrics" class="data">
        <thead>
          <tr><th>Step</th><th>Namespace</th><th>Name</th><th>Kind</th><th class="num">Committed</th><th class="num">Attempted</th></tr>
        </thead>
        <tbody></tbody>
      </table>
    </div>
  </section>

  <section class="card">
    <div class="section-head">
      <h2>Messages and logs</h2>
      <label class="control">Level
        <select id="log-level">
          <option value="DEBUG" selected>DEBUG</option>
          <option value="DETAILED">DETAILED</option>
          <option value="BASIC">BASIC</option>
          <option value="WARNING">WARNING</option>
          <option value="ERROR">ERROR</option>
        </select>
      </label>
      <span id="logs-count" class="muted"></span>
      <span id="logs-dropped" class="tag tag-warn" hidden></span>
    </div>
    <div id="logs" class="logs"></div>
  </section>
</main>
</body>
</html>
"""#
}
