// Clinical Search view: renders results sent by the extension; arrows move, Enter opens.
(function () {
  const vscode = acquireVsCodeApi();
  const form = document.getElementById('form');
  const query = document.getElementById('query');
  const glob = document.getElementById('glob');
  const list = document.getElementById('results');
  const status = document.getElementById('status');
  const notice = document.getElementById('notice');
  let selected = -1;
  let timer;

  const saved = vscode.getState();
  if (saved) {
    query.value = saved.query || '';
    glob.value = saved.glob || '';
  }

  function send() {
    vscode.setState({ query: query.value, glob: glob.value });
    vscode.postMessage({ type: 'search', query: query.value, glob: glob.value });
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(timer);
    send();
  });
  for (const input of [query, glob]) {
    input.addEventListener('input', () => {
      clearTimeout(timer);
      timer = setTimeout(send, 300);
    });
  }

  function items() {
    return Array.from(list.querySelectorAll('li.result'));
  }

  function select(i, focus) {
    const all = items();
    if (!all.length) return;
    selected = Math.max(0, Math.min(all.length - 1, i));
    all.forEach((el, j) => el.setAttribute('aria-selected', String(j === selected)));
    const el = all[selected];
    el.scrollIntoView({ block: 'nearest' });
    if (focus) el.focus();
  }

  function open(i) {
    const el = items()[i];
    if (el) vscode.postMessage({ type: 'open', id: Number(el.dataset.id) });
  }

  document.addEventListener('keydown', (e) => {
    if (e.key === 'ArrowDown') {
      e.preventDefault();
      select(selected + 1, true);
    } else if (e.key === 'ArrowUp') {
      e.preventDefault();
      if (selected <= 0) {
        selected = -1;
        query.focus();
      } else select(selected - 1, true);
    } else if (e.key === 'Enter' && document.activeElement && document.activeElement.classList.contains('result')) {
      e.preventDefault();
      open(selected);
    } else if (e.key === 'Escape') {
      query.focus();
      query.select();
    }
  });

  // text nodes only: note text is never parsed as HTML
  function snippetNode(snippet, highlights) {
    const p = document.createElement('div');
    p.className = 'snippet';
    let at = 0;
    for (const [s, e] of highlights) {
      if (s < at) continue;
      p.appendChild(document.createTextNode(snippet.slice(at, s)));
      const mark = document.createElement('mark');
      mark.textContent = snippet.slice(s, e);
      p.appendChild(mark);
      at = e;
    }
    p.appendChild(document.createTextNode(snippet.slice(at)));
    return p;
  }

  function render(m) {
    list.textContent = '';
    selected = -1;
    notice.hidden = !m.lexicalOnly;
    notice.textContent = m.lexicalOnly ? 'Lexical only: ' + (m.reason || 'notes are matched by words, not by meaning.') : '';
    if (!m.results.length) {
      status.textContent = query.value.trim() || m.title ? 'No matching notes.' : '';
      return;
    }
    status.textContent = (m.title ? m.title + ': ' : '') + m.results.length + (m.results.length === 1 ? ' note' : ' notes');
    for (const r of m.results) {
      const li = document.createElement('li');
      li.className = 'result';
      li.tabIndex = -1;
      li.setAttribute('role', 'option');
      li.dataset.id = String(r.id);
      const head = document.createElement('div');
      head.className = 'head';
      const path = document.createElement('span');
      path.className = 'path';
      path.textContent = (r.folder ? r.folder + ' • ' : '') + r.path;
      path.title = r.path;
      const badge = document.createElement('span');
      badge.className = 'rankers';
      badge.textContent = r.rankers.map((x) => (x === 'lexical' ? 'words' : 'meaning')).join(' + ');
      head.append(path, badge);
      li.append(head, snippetNode(r.snippet, r.highlights));
      li.addEventListener('click', () => {
        select(Number(Array.from(list.children).indexOf(li)), true);
        open(selected);
      });
      list.appendChild(li);
    }
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    if (m.type === 'results') render(m);
    else if (m.type === 'busy') status.textContent = 'Searching…';
    else if (m.type === 'error') {
      list.textContent = '';
      status.textContent = m.message;
    } else if (m.type === 'setQuery') {
      query.value = m.query;
      vscode.setState({ query: query.value, glob: glob.value });
      query.focus();
    }
  });

  query.focus();
  vscode.postMessage({ type: 'ready' });
  if (query.value.trim()) send();
})();
