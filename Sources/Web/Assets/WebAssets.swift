/// WebAssets: the dashboard's pages, stylesheet and script, compiled into the
/// binary as raw string literals (no CDN, no files to install, no network
/// fonts). The Web target's routes serve `indexHTML` at `/`, `jobHTML` at
/// `/jobs/{id}`, `css` at `/assets/app.css` and `javascript` at
/// `/assets/app.js`. The contents live in the `WebAssets+Pages`,
/// `WebAssets+Style` and `WebAssets+Script` extensions; the page structure and
/// the JSON they read are described in Docs/web-api.md.
enum WebAssets {}
