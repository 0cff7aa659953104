import { html } from './html.js';

const LABELS = {
  unauthorized: 'paused: unauthorized (401/403)',
  paused: 'paused by hand',
  dead_letters: 'dead letters',
  rate_limited: '429s (last hour)',
  backlog: 'backlog',
  running: 'running',
};

/** Why an account needs a look, as small coloured labels. */
export const AttentionBadges = ({ kinds }) => html`${kinds.map((kind) => html`<span class=${`badge ${kind}`}>${LABELS[kind]}</span> `)}`;
