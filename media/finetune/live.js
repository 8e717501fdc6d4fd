// The fine-tune report: the extension sends the page's changing parts as HTML it
// built and escaped (features/finetune/reportHtml.ts); buttons post their command.
// No other script runs in the page (CSP).
(function () {
  const vscode = acquireVsCodeApi();
  document.addEventListener('click', (event) => {
    const target = event.target;
    if (target && (target.id === 'use' || target.id === 'metrics')) vscode.postMessage({ command: target.id });
  });
  window.addEventListener('message', (event) => {
    const m = event.data;
    if (!m || m.command !== 'update') return;
    const live = document.getElementById('live');
    const actions = document.getElementById('actions');
    if (live && typeof m.live === 'string') live.innerHTML = m.live;
    if (actions && typeof m.actions === 'string') actions.innerHTML = m.actions;
  });
})();
