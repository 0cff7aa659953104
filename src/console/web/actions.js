import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useRef, useState } from 'preact/hooks';
import { html } from './html.js';

/**
 * Every action the console takes goes through here: it asks first (a
 * dialog saying what will happen), then runs, then says what it did (the
 * server's `message`) or why it could not.
 */
const Actions = createContext(undefined);

export const useActions = () => useContext(Actions);

export function ActionsProvider({ children }) {
  const [asking, setAsking] = useState(undefined);
  const [notice, setNotice] = useState(undefined);
  const [running, setRunning] = useState(false);

  /** `question`: what will happen; `run`: does it, resolving to `{ message }`; `after`: told once it is done. */
  const act = useCallback((question, run, after) => setAsking({ question, run, after }), []);

  const confirm = async () => {
    const { run, after } = asking;
    setRunning(true);
    try {
      const answer = await run();
      setNotice({ kind: 'done', text: answer?.message ?? 'Done.' });
      after?.(answer);
    } catch (error) {
      setNotice({ kind: 'error', text: `Not done: ${error.message}` });
    } finally {
      setRunning(false);
      setAsking(undefined);
    }
  };

  return html`<${Actions.Provider} value=${{ act }}>
    ${notice && html`<p class=${`notice ${notice.kind}`} role=${notice.kind === 'error' ? 'alert' : 'status'}>${notice.text} <button class="link" onClick=${() => setNotice(undefined)}>dismiss</button></p>`}
    ${children}
    ${asking && html`<${ConfirmDialog} question=${asking.question} running=${running} onConfirm=${confirm} onCancel=${() => setAsking(undefined)} />`}
  <//>`;
}

function ConfirmDialog({ question, running, onConfirm, onCancel }) {
  const dialog = useRef(undefined);
  useEffect(() => {
    // A modal <dialog>: the rest of the page is inert until it is answered.
    dialog.current?.showModal();
  }, []);
  return html`<dialog ref=${dialog} class="confirm" aria-label="Confirm" onCancel=${onCancel}>
    <p>${question}</p>
    <div class="buttons">
      <button class="danger" disabled=${running} onClick=${onConfirm}>${running ? 'Working…' : 'Confirm'}</button>
      <button disabled=${running} onClick=${onCancel}>Cancel</button>
    </div>
  </dialog>`;
}
