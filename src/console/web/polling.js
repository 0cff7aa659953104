import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

/** How often a page reads its data again: "live" without server-sent events. */
export const REFRESH_MS = 3_000;

/**
 * Loads with `load` now, whenever `deps` change, and every `everyMs` while
 * the tab is visible; the answer of the latest call wins. The data shown
 * stays while a newer load runs (no flicker while typing a search).
 */
export function usePolling(load, deps, everyMs = REFRESH_MS) {
  const [state, setState] = useState({ data: undefined, error: undefined, at: undefined });
  const latest = useRef(0);
  const refresh = useCallback(async () => {
    const mine = ++latest.current;
    try {
      const data = await load();
      if (mine === latest.current) setState({ data, error: undefined, at: new Date() });
    } catch (error) {
      if (mine === latest.current) setState((before) => ({ ...before, error }));
    }
  }, deps);
  useEffect(() => {
    void refresh();
    const timer = setInterval(() => document.hidden || void refresh(), everyMs);
    return () => {
      clearInterval(timer);
      latest.current += 1;
    };
  }, [refresh, everyMs]);
  return { ...state, refresh };
}
