/**
 * The console's look: plain, dense, readable; no framework. Kept here (not
 * in a .css file beside the scripts) so the TypeScript build carries it into
 * dist with the rest.
 */
export const CONSOLE_CSS = `:root {
  --fg: #1d2330;
  --muted: #5d6677;
  --line: #d9dde5;
  --bg: #f6f7f9;
  --accent: #2457c5;
  --bad: #b42318;
  --warn: #b54708;
  --ok: #067647;
  font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif;
  color: var(--fg);
  background: var(--bg);
}
body { margin: 0; }
header { display: flex; align-items: baseline; gap: 2rem; padding: 0.6rem 1.5rem; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 1.1rem; margin: 0; }
header nav { display: flex; gap: 1.2rem; align-items: baseline; }
header nav a[aria-current='page'] { font-weight: 600; text-decoration: underline; }
main { padding: 1rem 1.5rem; }
a { color: var(--accent); }
h2 { font-size: 1.15rem; margin: 0.8rem 0 0.5rem; }
h2 small, h3 small { font-weight: normal; color: var(--muted); }
h3 { font-size: 1rem; display: flex; gap: 0.8rem; align-items: baseline; margin: 0.4rem 0; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { text-align: left; padding: 0.3rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-weight: 600; color: var(--muted); font-size: 0.85rem; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
small, .updated, .hint { color: var(--muted); }
.updated { font-size: 0.8rem; }
button, .button { font: inherit; padding: 0.25rem 0.7rem; border: 1px solid var(--line); border-radius: 4px; background: #fff; color: var(--fg); cursor: pointer; text-decoration: none; }
button:disabled { opacity: 0.5; cursor: default; }
button.danger { border-color: var(--bad); color: var(--bad); }
button.link { border: none; background: none; color: var(--accent); padding: 0; text-decoration: underline; }
input, select { font: inherit; padding: 0.25rem 0.4rem; border: 1px solid var(--line); border-radius: 4px; }
label.search input { width: 22rem; }
.summary { color: var(--muted); }
.badge { display: inline-block; padding: 0 0.45rem; border-radius: 999px; font-size: 0.8rem; background: #eef1f6; white-space: nowrap; }
.badge.unauthorized { background: #fee4e2; color: var(--bad); }
.badge.paused { background: #fef0c7; color: var(--warn); }
.badge.dead_letters { background: #fce7f6; color: #9e165f; }
.badge.backlog { background: #e0eaff; color: #2d31a6; }
.badge.running { background: #dcfae6; color: var(--ok); }
.badge.rate_limited { background: #fdead7; color: #b93815; }
svg.spark { display: block; }
svg.spark polyline { fill: none; stroke: var(--accent); stroke-width: 1.2; }
svg.spark .area { fill: #e0eaff; stroke: none; }
td.closes small, td.rate small, table.accounts td:first-child { white-space: nowrap; }
.rate-use meter { width: 3rem; height: 0.6rem; vertical-align: middle; margin-right: 0.3rem; }
figure.activity-chart { margin: 0.6rem 0; max-width: 48rem; background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 0.5rem; }
figure.activity-chart figcaption { color: var(--muted); font-size: 0.8rem; }
.activity-chart .bar { fill: var(--accent); }
.activity-chart .axis { stroke: var(--line); }
.activity-chart .label { fill: var(--muted); font-size: 10px; }
.activity-chart .mark.rate_limited, .key.rate_limited { fill: #e04f16; color: #b93815; }
.activity-chart .mark.dead_letters, .key.dead_letters { fill: #9e165f; color: #9e165f; }
.pager { display: flex; gap: 1rem; align-items: baseline; margin: 0.6rem 0; }
.notice { padding: 0.5rem 0.8rem; border-radius: 4px; background: #ecfdf3; border: 1px solid #abefc6; }
.notice.error { background: #fef3f2; border-color: #fecdca; color: var(--bad); }
.actions { display: flex; gap: 0.6rem; margin: 0.6rem 0; }
dl.counts { display: flex; flex-wrap: wrap; gap: 0.6rem; margin: 0.6rem 0; }
dl.counts div { background: #fff; border: 1px solid var(--line); border-radius: 4px; padding: 0.3rem 0.8rem; min-width: 6rem; }
dl.counts dt { color: var(--muted); font-size: 0.8rem; }
dl.counts dd { margin: 0; font-size: 1.2rem; font-variant-numeric: tabular-nums; }
.group { margin: 1rem 0; }
.reason { font-family: ui-monospace, monospace; }
pre.excerpt { margin: 0.2rem 0 0; padding: 0.3rem; background: var(--bg); font-size: 0.8rem; white-space: pre-wrap; max-height: 5rem; overflow: auto; }
.selection { margin-left: 1rem; display: inline-flex; gap: 0.5rem; align-items: baseline; }
.filters { display: flex; gap: 0.8rem; align-items: baseline; margin: 0.5rem 0; }
progress { width: 100%; max-width: 40rem; height: 1.2rem; }
dialog.confirm { border: 1px solid var(--line); border-radius: 6px; max-width: 30rem; }
dialog.confirm .buttons { display: flex; gap: 0.6rem; justify-content: flex-end; }
.login { max-width: 24rem; margin: 4rem auto; background: #fff; padding: 1.5rem 2rem; border: 1px solid var(--line); border-radius: 6px; }
.login form { display: grid; gap: 0.8rem; }
.login label { display: grid; gap: 0.2rem; }
`;
