import type { AccountAttention } from './account-attention.js';

export interface AccountPageRequest {
  /** Part of the id to look for, any case; empty: every account. */
  query: string;
  /** From 1. */
  page: number;
  pageSize: number;
}

export interface AccountPage {
  /** Accounts that match the query. */
  total: number;
  page: number;
  pageSize: number;
  pages: number;
  /** The ids on this page, in order. */
  ids: string[];
}

const byId = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * One page of the accounts, those needing attention first (by rank, then
 * weight), then the rest by id. Works on ids and the attention map only,
 * in memory: with 10,000 accounts it sorts in milliseconds and asks Redis
 * for nothing.
 */
export function pageOfAccounts(ids: readonly string[], attention: ReadonlyMap<string, AccountAttention>, { query, page, pageSize }: AccountPageRequest): AccountPage {
  const needle = query.trim().toLowerCase();
  const matching = needle === '' ? ids : ids.filter((id) => id.toLowerCase().includes(needle));
  const notable: string[] = [];
  const rest: string[] = [];
  for (const id of matching) (attention.has(id) ? notable : rest).push(id);
  notable.sort((a, b) => {
    const x = attention.get(a)!;
    const y = attention.get(b)!;
    return x.rank - y.rank || y.weight - x.weight || byId(a, b);
  });
  rest.sort(byId);
  const pages = Math.max(1, Math.ceil(matching.length / pageSize));
  const current = Math.min(Math.max(1, page), pages);
  const start = (current - 1) * pageSize;
  const ordered = start + pageSize <= notable.length ? notable : [...notable, ...rest];
  return { total: matching.length, page: current, pageSize, pages, ids: ordered.slice(start, start + pageSize) };
}
