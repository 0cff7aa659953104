import { count } from './format.js';
import { html } from './html.js';

/** "s", "min", "5 s": a rate limit's window as "per ..." reads it. */
export function perWindow(windowMs) {
  if (windowMs === 1_000) return 's';
  if (windowMs === 60_000) return 'min';
  if (windowMs === 3_600_000) return 'h';
  return windowMs % 1_000 === 0 ? `${windowMs / 1_000} s` : `${windowMs} ms`;
}

/** "12/20 per s", with a meter, and the pause a 429 put the account in, if any. */
export const RateLimitUse = ({ use }) =>
  use.max === 0
    ? null
    : html`<span class="rate-use" title="requests sent in the last window, of the most the limit allows">
    <meter min="0" max=${use.max} high=${use.max * 0.9} value=${Math.min(use.sent, use.max)}></meter>
    ${count(use.sent)}/${count(use.max)} per ${perWindow(use.windowMs)}
    ${use.blockedForMs > 0 && html` <span class="badge rate_limited">429 pause ${Math.ceil(use.blockedForMs / 1_000)} s</span>`}
  </span>`;

const peakOf = (values) => Math.max(1, ...values);

/**
 * Closes per minute over the hour as one line: an inline SVG, no library.
 * The last point is the minute under way (it fills as the workers' counts land).
 */
export function Sparkline({ values, width = 96, height = 22 }) {
  const peak = peakOf(values);
  const step = width / Math.max(1, values.length - 1);
  const y = (value) => (height - 1 - (value / peak) * (height - 2)).toFixed(1);
  const points = values.map((value, index) => `${(index * step).toFixed(1)},${y(value)}`).join(' ');
  const total = values.reduce((sum, value) => sum + value, 0);
  return html`<svg class="spark" width=${width} height=${height} viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${`closes per minute over the last hour: ${total} in all, at most ${Math.max(0, ...values)} a minute`}>
    <polygon class="area" points=${`0,${height} ${points} ${width},${height}`} />
    <polyline points=${points} />
  </svg>`;
}

/**
 * The account page's chart: a bar per minute of the hour for closes, a red
 * mark under each minute that had 429s, a dark one under each with dead
 * letters made.
 */
export function ActivityChart({ activity, width = 720, height = 160 }) {
  const { closed, rateLimited, deadLettered } = activity.perMinute;
  const peak = peakOf(closed);
  const marks = 14;
  const plot = height - marks - 14;
  const slot = width / closed.length;
  const bar = Math.max(1, slot - 2);
  const at = (index) => index * slot + 1;
  return html`<figure class="activity-chart">
    <svg width="100%" viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${`closes per minute over the last hour, at most ${Math.max(0, ...closed)} a minute`}>
      <line class="axis" x1="0" x2=${width} y1=${plot} y2=${plot} />
      <text class="label" x="2" y="10">${count(peak)}/min</text>
      ${closed.map((value, index) => value > 0 && html`<rect class="bar" x=${at(index)} width=${bar} y=${plot - (value / peak) * (plot - 14)} height=${(value / peak) * (plot - 14)}><title>${count(value)} closed</title></rect>`)}
      ${rateLimited.map((value, index) => value > 0 && html`<rect class="mark rate_limited" x=${at(index)} width=${bar} y=${plot + 2} height="5"><title>${count(value)} × 429</title></rect>`)}
      ${deadLettered.map((value, index) => value > 0 && html`<rect class="mark dead_letters" x=${at(index)} width=${bar} y=${plot + 8} height="5"><title>${count(value)} dead-lettered</title></rect>`)}
      <text class="label" x="0" y=${height - 1}>60 min ago</text>
      <text class="label" x=${width / 2} y=${height - 1} text-anchor="middle">30 min ago</text>
      <text class="label" x=${width} y=${height - 1} text-anchor="end">now</text>
    </svg>
    <figcaption>Closes per minute over the last hour; marks under a minute: <span class="key rate_limited">429s</span>, <span class="key dead_letters">dead letters made</span>.</figcaption>
  </figure>`;
}

/** An account's last hour in numbers, then the chart (the account page). */
export const ActivitySection = ({ account }) => {
  const { activity, rateLimitUse } = account;
  return html`<section class="activity">
    <h2>Last hour <small>written by the workers every few seconds</small></h2>
    <dl class="counts">
      <div data-activity="closed"><dt>closed (last hour)</dt><dd>${count(activity.lastHour.closed)}</dd></div>
      <div data-activity="per-minute"><dt>closes a minute (last full minute)</dt><dd>${count(activity.closedLastMinute)}</dd></div>
      <div data-activity="rate-limited"><dt>429s (last hour)</dt><dd>${count(activity.lastHour.rateLimited)}</dd></div>
      <div data-activity="dead-lettered"><dt>dead-lettered (last hour)</dt><dd>${count(activity.lastHour.deadLettered)}</dd></div>
      <div data-activity="rate-use"><dt>rate limit in use now</dt><dd><${RateLimitUse} use=${rateLimitUse} /></dd></div>
    </dl>
    <${ActivityChart} activity=${activity} />
  </section>`;
};
