// The report's buttons: each posts its command to the extension, which acts
// on the head the page shows. No other script runs in the page (CSP).
(function () {
  const vscode = acquireVsCodeApi();
  for (const [id, command] of [['use', 'use'], ['markdown', 'markdown'], ['metrics', 'metrics']]) {
    const button = document.getElementById(id);
    if (button) button.addEventListener('click', () => vscode.postMessage({ command }));
  }
  window.addEventListener('message', (event) => {
    // the extension says when the head became the one in use
    if (event.data && event.data.command === 'inUse') {
      const button = document.getElementById('use');
      if (!button) return;
      const span = document.createElement('span');
      span.className = 'inuse';
      span.textContent = event.data.text;
      button.replaceWith(span);
    }
  });
})();
