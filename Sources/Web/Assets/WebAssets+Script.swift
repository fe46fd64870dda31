/// WebAssets+Script: the dashboard's script (vanilla JavaScript), served as
/// text/javascript at `/assets/app.js` by the Web target's routes. It polls the
/// JSON API once a second and renders both pages; the pipeline graph layout
/// (`layoutGraph`) is plain functions with no DOM access. It must never
/// contain a raw string's closing delimiter (three quotes then a hash) or a
/// backslash followed by a hash.
extension WebAssets {
    /// The parts, in order: one script, split only to keep files small.
    static let javascript = [scriptModel, scriptLayout, scriptJobsPage, scriptJobPage].joined(separator: "\n")
}
