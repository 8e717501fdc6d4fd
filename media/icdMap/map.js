// ICD map: draws the code maps the extension sends on a canvas (no library, no
// network). Wheel zooms, drag pans, double-click fits; hover names a code; a
// click shows it; the legend hides chapters; the search box marks codes.
(function () {
  const vscode = acquireVsCodeApi();
  const panesEl = document.getElementById('panes');
  const systemSel = document.getElementById('system');
  const search = document.getElementById('search');
  const locateBtn = document.getElementById('locate');
  const compareBtn = document.getElementById('compare');
  const status = document.getElementById('status');
  const notice = document.getElementById('notice');

  // 24 categorical colours that stay apart on dark and light backgrounds
  const PALETTE = [
    '#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7',
    '#9c755f', '#bab0ac', '#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#8c564b', '#e377c2',
    '#17becf', '#bcbd22', '#ff7f0e', '#7f7f7f', '#aec7e8', '#98df8a', '#c5b0d5', '#c49c94',
  ];
  const colour = (i) => PALETTE[i % PALETTE.length];
  const cssVar = (name, fallback) => getComputedStyle(document.body).getPropertyValue(name).trim() || fallback;

  const panes = [];
  let matchText = '';
  let location = null;
  /** the code hovered in either pane, marked in both */
  let linked = null;

  const saved = vscode.getState() || {};
  search.value = saved.query || '';

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  function makePane(side) {
    const root = el('section', 'pane');
    const title = el('h2');
    const plot = el('div', 'plot');
    const canvas = el('canvas');
    canvas.tabIndex = 0;
    canvas.setAttribute('role', 'img');
    canvas.dataset.points = '0';
    canvas.dataset.drawn = '0';
    const tooltip = el('div', 'tooltip');
    tooltip.hidden = true;
    plot.append(canvas, tooltip);
    const sideEl = el('div', 'side');
    const legend = el('ul', 'legend');
    legend.setAttribute('aria-label', 'Chapters');
    const details = el('div', 'details');
    details.append(el('div', 'empty', 'Click a point to see its code.'));
    sideEl.append(legend, details);
    const body = el('div', 'body');
    body.append(plot, sideEl);
    root.append(title, body);
    panesEl.append(root);
    const pane = { side, root, title, plot, canvas, tooltip, legend, details, map: null, hidden: new Set(), view: null, moved: false, hover: -1, selected: -1, matches: null, byChapter: [] };
    attachPointer(pane);
    panes[side] = pane;
    return pane;
  }

  function setMap(side, map) {
    const pane = panes[side] || makePane(side);
    pane.map = map;
    pane.hidden.clear();
    pane.hover = -1;
    pane.selected = -1;
    pane.byChapter = map.legend.map(() => []);
    for (let i = 0; i < map.codes.length; i++) pane.byChapter[map.chapters[i]].push(i);
    pane.canvas.dataset.points = String(map.codes.length);
    pane.canvas.setAttribute('aria-label', `Map of ${map.codes.length} ${map.systemName} codes of ${map.modelName}, coloured by chapter`);
    pane.title.textContent = '';
    const name = el('span', '', map.modelName);
    const sub = el('span', 'sub', `${map.systemName} · ${map.codes.length.toLocaleString()} codes${map.total > map.codes.length ? ` (a sample of ${map.total.toLocaleString()})` : ''}${map.demo ? ' · demo model: random weights, the layout is noise' : ''}`);
    pane.title.append(name, sub);
    if (side === 1) {
      const close = el('button', '', '×');
      close.title = 'Close the comparison';
      close.addEventListener('click', () => {
        pane.root.remove();
        panes.length = 1;
        vscode.postMessage({ type: 'closeCompare' });
      });
      pane.title.append(close);
    }
    renderLegend(pane);
    pane.moved = false;
    fit(pane);
    computeMatches(pane);
    showDetails(pane, -1);
    draw(pane);
  }

  function renderLegend(pane) {
    pane.legend.textContent = '';
    pane.map.legend.forEach((entry, j) => {
      const li = el('li');
      const b = el('button');
      b.type = 'button';
      b.setAttribute('aria-pressed', 'true');
      b.title = `${entry.label}: ${entry.title}. Click to hide or show.`;
      const sw = el('span', 'swatch');
      sw.style.background = colour(j);
      b.append(sw, el('span', '', `${entry.label} ${entry.title}`), el('span', 'count', entry.count.toLocaleString()));
      b.addEventListener('click', () => {
        if (pane.hidden.has(j)) pane.hidden.delete(j);
        else pane.hidden.add(j);
        b.setAttribute('aria-pressed', String(!pane.hidden.has(j)));
        draw(pane);
      });
      li.append(b);
      pane.legend.append(li);
    });
  }

  // view: data (cx, cy) at the canvas centre, pixels per data unit
  function fit(pane, only) {
    const xy = pane.map.xy;
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    const n = pane.map.codes.length;
    for (let i = 0; i < n; i++) {
      if (only && !only.has(i)) continue;
      const x = xy[2 * i], y = xy[2 * i + 1];
      if (x < minX) minX = x;
      if (x > maxX) maxX = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
    }
    if (!Number.isFinite(minX)) return;
    const { width, height } = size(pane);
    const spanX = Math.max(maxX - minX, 1e-6), spanY = Math.max(maxY - minY, 1e-6);
    const scale = Math.min(width / spanX, height / spanY) * 0.9 || 1;
    pane.view = { cx: (minX + maxX) / 2, cy: (minY + maxY) / 2, scale: only && only.size === 1 ? Math.max(scale, 40) : scale };
  }

  function size(pane) {
    const r = pane.plot.getBoundingClientRect();
    return { width: Math.max(1, r.width), height: Math.max(1, r.height) };
  }

  function toScreen(pane, x, y) {
    const { width, height } = size(pane);
    const v = pane.view;
    return [(x - v.cx) * v.scale + width / 2, (v.cy - y) * v.scale + height / 2];
  }

  function draw(pane) {
    if (!pane.map || !pane.view) return;
    const { width, height } = size(pane);
    const dpr = window.devicePixelRatio || 1;
    const c = pane.canvas;
    if (c.width !== Math.round(width * dpr) || c.height !== Math.round(height * dpr)) {
      c.width = Math.round(width * dpr);
      c.height = Math.round(height * dpr);
    }
    const g = c.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.fillStyle = cssVar('--vscode-editor-background', '#1e1e1e');
    g.fillRect(0, 0, width, height);
    const xy = pane.map.xy;
    const matches = pane.matches;
    let drawn = 0;
    const r = pane.map.codes.length > 5000 ? 1.5 : 2.5;
    pane.byChapter.forEach((points, j) => {
      if (pane.hidden.has(j)) return;
      g.fillStyle = colour(j);
      g.globalAlpha = matches ? 0.15 : 0.85;
      for (const i of points) {
        const [sx, sy] = toScreen(pane, xy[2 * i], xy[2 * i + 1]);
        if (sx < -4 || sy < -4 || sx > width + 4 || sy > height + 4) continue;
        g.fillRect(sx - r, sy - r, 2 * r, 2 * r);
        drawn++;
      }
    });
    g.globalAlpha = 1;
    const fg = cssVar('--vscode-foreground', '#ccc');
    if (matches) {
      g.strokeStyle = fg;
      g.lineWidth = 1;
      for (const i of matches) {
        if (pane.hidden.has(pane.map.chapters[i])) continue;
        const [sx, sy] = toScreen(pane, xy[2 * i], xy[2 * i + 1]);
        g.fillStyle = colour(pane.map.chapters[i]);
        g.beginPath();
        g.arc(sx, sy, r + 2, 0, 2 * Math.PI);
        g.fill();
        g.stroke();
      }
    }
    const ring = (i, colourName) => {
      if (i < 0) return;
      const [sx, sy] = toScreen(pane, xy[2 * i], xy[2 * i + 1]);
      g.strokeStyle = cssVar(colourName, fg);
      g.lineWidth = 2;
      g.beginPath();
      g.arc(sx, sy, r + 5, 0, 2 * Math.PI);
      g.stroke();
    };
    ring(pane.selected, '--vscode-focusBorder');
    if (linked !== null) ring(pane.map.codes.indexOf(linked), '--vscode-editorCursor-foreground');
    if (location && pane.side === 0 && location.system === pane.map.system) {
      const [sx, sy] = toScreen(pane, location.x, location.y);
      g.strokeStyle = cssVar('--vscode-editorCursor-foreground', fg);
      g.lineWidth = 2;
      g.beginPath();
      g.moveTo(sx - 10, sy);
      g.lineTo(sx + 10, sy);
      g.moveTo(sx, sy - 10);
      g.lineTo(sx, sy + 10);
      g.stroke();
      g.beginPath();
      g.arc(sx, sy, 6, 0, 2 * Math.PI);
      g.stroke();
      g.fillStyle = fg;
      g.font = `${cssVar('--vscode-font-size', '13px')} ${cssVar('--vscode-font-family', 'sans-serif')}`;
      g.fillText('selection', sx + 10, sy - 8);
    }
    c.dataset.drawn = String(drawn);
  }

  function redrawAll() {
    for (const p of panes) if (p) draw(p);
  }

  function nearest(pane, sx, sy, within) {
    const xy = pane.map.xy;
    let best = -1;
    let bestD = within * within;
    for (let i = 0; i < pane.map.codes.length; i++) {
      if (pane.hidden.has(pane.map.chapters[i])) continue;
      const [px, py] = toScreen(pane, xy[2 * i], xy[2 * i + 1]);
      const d = (px - sx) ** 2 + (py - sy) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best;
  }

  function chapterText(map, i) {
    const e = map.legend[map.chapters[i]];
    return e ? `${e.label} ${e.title}` : '';
  }

  function showTooltip(pane, i, sx, sy) {
    const t = pane.tooltip;
    if (i < 0) {
      t.hidden = true;
      return;
    }
    t.textContent = '';
    t.append(el('b', '', pane.map.codes[i]), document.createTextNode(` ${pane.map.descriptions[i]}`));
    const { width } = size(pane);
    t.hidden = false;
    t.style.left = `${Math.min(sx + 12, Math.max(0, width - 330))}px`;
    t.style.top = `${sy + 12}px`;
  }

  function showDetails(pane, i) {
    const d = pane.details;
    d.textContent = '';
    if (location && pane.side === 0 && i < 0) {
      d.append(el('div', 'meta', 'Nearest codes to the selection:'));
      const ol = el('ol');
      for (const n of location.neighbours) ol.append(el('li', '', `${n.display} (similarity ${n.similarity.toFixed(2)})`));
      d.append(ol);
      return;
    }
    if (i < 0) {
      d.append(el('div', 'empty', 'Click a point to see its code.'));
      return;
    }
    const map = pane.map;
    d.append(el('div', 'code', map.codes[i]), el('div', '', map.descriptions[i]), el('div', 'meta', `${chapterText(map, i)} · ${map.billable[i] ? 'billable' : 'header, not billable'}`));
    const insert = el('button', 'primary', 'Insert into note');
    insert.type = 'button';
    insert.addEventListener('click', () => vscode.postMessage({ type: 'insert', code: map.codes[i] }));
    d.append(insert);
  }

  function attachPointer(pane) {
    const c = pane.canvas;
    let drag = null;
    c.addEventListener('wheel', (e) => {
      if (!pane.view) return;
      e.preventDefault();
      const rect = c.getBoundingClientRect();
      const sx = e.clientX - rect.left, sy = e.clientY - rect.top;
      const { width, height } = size(pane);
      const v = pane.view;
      // the data point under the cursor stays under it
      const dx = (sx - width / 2) / v.scale + v.cx, dy = v.cy - (sy - height / 2) / v.scale;
      v.scale *= Math.exp(-e.deltaY * 0.0015);
      pane.moved = true;
      v.cx = dx - (sx - width / 2) / v.scale;
      v.cy = dy + (sy - height / 2) / v.scale;
      draw(pane);
    }, { passive: false });
    c.addEventListener('pointerdown', (e) => {
      drag = { x: e.clientX, y: e.clientY, moved: false };
      c.setPointerCapture(e.pointerId);
    });
    c.addEventListener('pointermove', (e) => {
      if (!pane.map || !pane.view) return;
      const rect = c.getBoundingClientRect();
      const sx = e.clientX - rect.left, sy = e.clientY - rect.top;
      if (drag) {
        const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
        if (Math.abs(dx) + Math.abs(dy) > 3) drag.moved = true;
        if (drag.moved) {
          c.classList.add('dragging');
          pane.moved = true;
          pane.view.cx -= dx / pane.view.scale;
          pane.view.cy += dy / pane.view.scale;
          drag.x = e.clientX;
          drag.y = e.clientY;
          pane.tooltip.hidden = true;
          draw(pane);
          return;
        }
      }
      const i = nearest(pane, sx, sy, 8);
      if (i !== pane.hover) {
        pane.hover = i;
        linked = i >= 0 ? pane.map.codes[i] : null;
        for (const p of panes) if (p && p !== pane) draw(p);
      }
      showTooltip(pane, i, sx, sy);
    });
    c.addEventListener('pointerup', (e) => {
      c.classList.remove('dragging');
      const wasClick = drag && !drag.moved;
      drag = null;
      if (!wasClick || !pane.map) return;
      const rect = c.getBoundingClientRect();
      pane.selected = nearest(pane, e.clientX - rect.left, e.clientY - rect.top, 8);
      showDetails(pane, pane.selected);
      draw(pane);
    });
    c.addEventListener('pointerleave', () => {
      pane.tooltip.hidden = true;
      if (linked !== null) {
        linked = null;
        redrawAll();
      }
    });
    c.addEventListener('dblclick', () => {
      if (!pane.map) return;
      pane.moved = false;
      fit(pane);
      draw(pane);
    });
    c.addEventListener('keydown', (e) => {
      if (!pane.view) return;
      if (e.key === '+' || e.key === '=') pane.view.scale *= 1.25;
      else if (e.key === '-') pane.view.scale /= 1.25;
      else if (e.key === '0') fit(pane);
      else return;
      draw(pane);
    });
  }

  function computeMatches(pane) {
    const q = matchText.trim().toLowerCase();
    if (!q || !pane.map) {
      pane.matches = null;
      return;
    }
    const asCode = q.replace(/[\s.]/g, '').toUpperCase();
    const codeLike = /^[0-9A-Z]{1,7}$/.test(asCode) && /[0-9]/.test(asCode);
    const words = q.split(/[^\p{L}\p{N}]+/u).filter(Boolean);
    const m = new Set();
    const map = pane.map;
    for (let i = 0; i < map.codes.length; i++) {
      if (codeLike ? map.codes[i].replace('.', '').startsWith(asCode) : words.every((w) => map.descriptions[i].toLowerCase().includes(w))) m.add(i);
    }
    pane.matches = m;
  }

  function applySearch(zoom) {
    matchText = search.value;
    vscode.setState({ query: matchText });
    const counts = [];
    for (const p of panes) {
      if (!p || !p.map) continue;
      computeMatches(p);
      if (p.matches) counts.push(p.matches.size);
      if (zoom && p.matches && p.matches.size) fit(p, p.matches);
      draw(p);
    }
    status.textContent = matchText.trim() ? `${counts[0] ?? 0} codes match` : '';
  }

  let searchTimer;
  search.addEventListener('input', () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => applySearch(false), 150);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') applySearch(true);
  });
  systemSel.addEventListener('change', () => vscode.postMessage({ type: 'system', system: systemSel.value }));
  locateBtn.addEventListener('click', () => vscode.postMessage({ type: 'locate' }));
  compareBtn.addEventListener('click', () => vscode.postMessage({ type: 'compare' }));

  function showNotice(message, build) {
    notice.textContent = message;
    notice.hidden = false;
    if (build) {
      const b = el('button', 'primary', 'Build ICD Code Embeddings');
      b.type = 'button';
      b.style.marginLeft = '8px';
      b.addEventListener('click', () => vscode.postMessage({ type: 'build' }));
      notice.append(b);
    }
  }

  window.addEventListener('message', (event) => {
    const m = event.data;
    switch (m.type) {
      case 'busy':
        status.textContent = m.fraction !== undefined ? `${m.message} (${Math.round(m.fraction * 100)}%)` : m.message;
        return;
      case 'map':
        notice.hidden = true;
        if (m.systems) {
          systemSel.textContent = '';
          for (const s of m.systems) {
            const o = el('option', '', s.name);
            o.value = s.system;
            o.selected = s.system === m.map.system;
            systemSel.append(o);
          }
        }
        setMap(m.side, m.map);
        applySearch(false);
        if (!matchText.trim()) status.textContent = '';
        return;
      case 'locate':
        location = m.location ? { ...m.location, system: panes[0] && panes[0].map ? panes[0].map.system : '' } : null;
        if (m.message) status.textContent = m.message;
        if (panes[0]) {
          showDetails(panes[0], panes[0].selected);
          draw(panes[0]);
        }
        return;
      case 'error':
        status.textContent = '';
        showNotice(m.message, m.build);
        return;
    }
  });

  // a map the user has not moved is fitted again to its new size (the first layout included)
  new ResizeObserver(() => {
    for (const p of panes) if (p && p.map && !p.moved) fit(p);
    redrawAll();
  }).observe(panesEl);
  // a theme change recolours the background and marks
  new MutationObserver(redrawAll).observe(document.body, { attributes: true, attributeFilter: ['class'] });
  vscode.postMessage({ type: 'ready' });
})();
