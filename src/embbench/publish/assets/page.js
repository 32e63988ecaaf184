// The embbench leaderboard page: renders the board JSON embedded in the page (no network, works from file://).
const D = JSON.parse(document.getElementById('board-data').textContent);
const quality = D.columns.filter(c => c.family !== 'bias'), bias = D.columns.filter(c => c.family === 'bias');
const families = [...new Set(D.columns.map(c => c.family))];
let view = 'all', family = 'all', sortKey = 'mean_rank', sortAsc = true;
const fmt = (v, d = 3) => v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(d);
// a value in a details table: integers whole, very small or large numbers with an exponent (a tolerance of 1e-6)
const num = v => Number.isInteger(v) ? String(v) : v !== 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e7) ? v.toExponential(2) : fmt(v, 4);
const esc = s => String(s).replace(/[&<>"]/g, c => ({'&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;'}[c]));
function cell(p, t) { return (D.cells[p] || {})[t]; }
function shown(c) { return !c ? null : (view === 'common' ? c.common_score : c.score); }
function value(p, key) {
  const a = D.aggregates[p];
  if (key === 'mean_rank') return a.mean_rank; if (key === 'borda') return a.borda; if (key === 'bias_rank') return a.bias_rank;
  if (key === 'provider') return p; return shown(cell(p, key));
}
function columnsShown() { return D.columns.filter(c => family === 'all' || c.family === family); }
function tooltip(c, col) {
  const covered = c && c.coverage !== null ? 'coverage ' + fmt(100 * c.coverage, 1) + '% (' + c.n_scored + ' of ' + c.n_items + ' items)' : '';
  if (!c || c.score === null) return c && c.error ? [c.status + ': ' + c.error, covered].filter(Boolean).join(' · ') : 'no score';
  const parts = [];
  if (c.ci95) parts.push('95% CI [' + fmt(c.ci95[0]) + ', ' + fmt(c.ci95[1]) + ']');
  if (covered) parts.push(covered);
  if (c.best) parts.push('best on this task');
  else if (c.p_vs_best !== null) parts.push('p vs best = ' + fmt(c.p_vs_best, 4) + ' (' + (c.test || col.test) + ', Holm)');
  else if (c.test) parts.push(c.test);
  if (c.common_score !== null) parts.push('on the ' + col.common_items + ' common items: ' + fmt(c.common_score));
  if (c.items_give !== null && c.items_give !== undefined) parts.push('⚠ its own items give ' + fmt(c.items_give, 4) + ', not this score');
  return parts.join(' · ');
}
function render() {
  const cols = columnsShown();
  const head = ['<th data-key="provider">provider</th>', '<th data-key="mean_rank" class="agg">mean rank ↓<small>95% interval of place</small></th>',
    '<th data-key="borda" class="agg">Borda<small>↑</small></th>', '<th data-key="bias_rank" class="agg">bias rank<small>↓</small></th>']
    .concat(cols.map(c => '<th data-key="' + esc(c.task) + '" data-family="' + esc(c.family) + '">' + esc(c.task) +
      '<small>' + esc(c.metric) + ' ' + (c.higher_is_better ? '↑' : '↓') + ' · ' + esc(c.family) + '</small></th>'));
  const rows = [...D.providers].sort((a, b) => {
    const va = value(a, sortKey), vb = value(b, sortKey);
    if (va === null || va === undefined) return 1; if (vb === null || vb === undefined) return -1;
    const r = typeof va === 'string' ? va.localeCompare(vb) : va - vb; return sortAsc ? r : -r;
  });
  const body = rows.map(p => {
    const a = D.aggregates[p];
    const aggs = '<td class="agg" data-key="mean_rank">' + fmt(a.mean_rank, 2) + (a.rank_interval ? ' (place ' + a.rank_interval[0] + '–' + a.rank_interval[1] + ')' : '') +
      '</td><td class="agg">' + a.borda + '</td><td class="agg">' + fmt(a.bias_rank, 2) + '</td>';
    const tds = cols.map(col => {
      const c = cell(p, col.task), v = shown(c);
      if (v === null || v === undefined) return '<td class="none" title="' + esc(tooltip(c, col)) + '">–</td>';
      const cls = [c.best && view === 'all' ? 'best' : '', c.top_tier && !c.best && view === 'all' ? 'tier' : '',
        c.coverage < D.min_coverage && view === 'all' ? 'low' : ''].join(' ').trim();
      return '<td class="' + cls + '" data-provider="' + esc(p) + '" data-task="' + esc(col.task) + '" title="' + esc(tooltip(c, col)) + '">' + fmt(v) + '</td>';
    }).join('');
    const added = D.metadata[p] && D.metadata[p].new ? ' <small class="new">new</small>' : '';
    return '<tr data-provider="' + esc(p) + '"><th>' + esc(p) + added + '</th>' + aggs + tds + '</tr>';
  }).join('');
  document.getElementById('board').innerHTML = '<thead><tr>' + head.join('') + '</tr></thead><tbody>' + body + '</tbody>';
  document.querySelectorAll('#board thead th').forEach(th => {
    if (th.dataset.key === sortKey) th.classList.add(sortAsc ? 'sorted-asc' : 'sorted-desc');
    th.addEventListener('click', () => {
      const key = th.dataset.key, col = D.columns.find(c => c.task === key);
      if (sortKey === key) sortAsc = !sortAsc; else { sortKey = key; sortAsc = col ? !col.higher_is_better : key !== 'borda'; }
      render();
    });
  });
  document.querySelectorAll('#board td[data-task]').forEach(td => td.addEventListener('click', () => details(td.dataset.provider, td.dataset.task)));
}
function kv(obj) {
  return '<table>' + Object.entries(obj || {}).map(([k, v]) => '<tr><th>' + esc(k) + '</th><td>' +
    esc(typeof v === 'number' ? num(v) : JSON.stringify(v)) + '</td></tr>').join('') + '</table>';
}
function details(p, t) {
  const c = cell(p, t), col = D.columns.find(x => x.task === t), box = document.getElementById('details');
  const main = Object.fromEntries(Object.entries(c.scores).filter(([k]) => !k.includes('/')));
  const sections = Object.fromEntries(Object.entries(c.scores).filter(([k]) => k.includes('/')));
  box.innerHTML = '<button class="close" aria-label="close">×</button><h3>' + esc(p) + ' × ' + esc(t) + '</h3>' +
    '<p><span data-field="score">' + fmt(c.score, 4) + '</span> ' + esc(col.metric) + ' (' + (col.higher_is_better ? 'higher' : 'lower') +
    ' is better); 95% CI <span data-field="ci">' + (c.ci95 ? fmt(c.ci95[0], 4) + ' – ' + fmt(c.ci95[1], 4) : '–') + '</span>; coverage ' +
    (c.n_items === null ? '–' : c.n_scored + ' / ' + c.n_items) + '; ' + (c.best ? '<span data-field="p">the best on this task</span>' :
    c.p_vs_best === null && c.test ? '<span data-field="p">' + esc(c.test) + '</span>' : 'p vs best <span data-field="p">' + fmt(c.p_vs_best, 4) + '</span> (' + esc(c.test || col.test) + ', Holm)') + '; on common items ' + fmt(c.common_score, 4) + '; tolerance ' + (c.tolerance === null ? '–' : num(c.tolerance)) + '</p>' +
    '<h4>scores</h4>' + kv(main) + (Object.keys(sections).length ? '<h4>per section / per test</h4>' + kv(sections) : '') +
    '<h4>protocol</h4>' + kv(col.config) + '<h4>provenance</h4>' + kv(c.provenance) +
    (c.hardest && c.hardest.length ? '<h4>hardest items</h4>' + '<table><tr>' + Object.keys(c.hardest[0]).map(k => '<th>' + esc(k) + '</th>').join('') + '</tr>' + c.hardest.map(r => '<tr>' +
      Object.values(r).map(v => '<td>' + esc(typeof v === 'number' ? num(v) : v) + '</td>').join('') + '</tr>').join('') + '</table>' : '') +
    '<p class="note">record: ' + esc(c.record) + '</p>';
  box.classList.remove('hidden');
  box.querySelector('.close').addEventListener('click', () => box.classList.add('hidden'));
  box.scrollIntoView({block: 'nearest'});
}
function svg(w, h, inner) { return '<svg viewBox="0 0 ' + w + ' ' + h + '" role="img">' + inner + '</svg>'; }
function scatter(points, xl, yl) {
  const w = 360, h = 240, m = 40, xs = points.map(p => p.x), ys = points.map(p => p.y);
  if (!points.length) return svg(w, h, '<text x="10" y="20">no data</text>');
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = x => m + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (w - 2 * m), sy = y => h - m - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (h - 2 * m);
  return svg(w, h, '<line x1="' + m + '" y1="' + (h - m) + '" x2="' + (w - m) + '" y2="' + (h - m) + '" stroke="#888"/>' +
    '<line x1="' + m + '" y1="' + m + '" x2="' + m + '" y2="' + (h - m) + '" stroke="#888"/>' +
    '<text x="' + w / 2 + '" y="' + (h - 8) + '" text-anchor="middle">' + esc(xl) + '</text>' +
    '<text x="12" y="' + h / 2 + '" transform="rotate(-90 12 ' + h / 2 + ')" text-anchor="middle">' + esc(yl) + '</text>' +
    points.map(p => '<circle cx="' + sx(p.x) + '" cy="' + sy(p.y) + '" r="4" fill="#0969da"><title>' + esc(p.label) + '</title></circle>' +
      '<text class="point" data-x="' + sx(p.x) + '" data-y="' + sy(p.y) + '">' + esc(p.label) + '</text>').join(''));
}
// Put each point's label beside it where it covers no other label, point or axis title and stays inside the plot,
// in the points' order (best mean rank first); a label with no free spot is left out (its point's tooltip names it).
function arrangeLabels(plot) {
  const view = plot.viewBox.baseVal, yTitle = {x: 0, y: 0, w: 18, h: view.height};  // the rotated axis title
  const taken = [yTitle, ...[...plot.querySelectorAll('text:not(.point):not([transform]), circle')].map(box)];
  const free = b => b.x >= 0 && b.y >= 0 && b.x + b.w <= view.width && b.y + b.h <= view.height &&
    !taken.some(o => o.x < b.x + b.w && b.x < o.x + o.w && o.y < b.y + b.h && b.y < o.y + o.h);
  plot.querySelectorAll('text.point').forEach(t => {
    const x = +t.dataset.x, y = +t.dataset.y;
    const spot = [[6, -7, 'start'], [-6, -7, 'end'], [6, 15, 'start'], [-6, 15, 'end']].find(([dx, dy, anchor]) => {
      t.setAttribute('x', x + dx); t.setAttribute('y', y + dy); t.setAttribute('text-anchor', anchor);
      return free(box(t));
    });
    if (spot) taken.push(box(t)); else t.remove();
  });
}
function box(element) { const b = element.getBBox(); return {x: b.x, y: b.y, w: b.width, h: b.height}; }
function plots() {
  const rows = D.providers, cols = quality, cw = 22, th = 90, lw = Math.max(150, 6 * Math.max(...rows.map(p => p.length)));
  let heat = '';
  rows.forEach((p, i) => {
    heat += '<text x="' + (lw - 4) + '" y="' + (th + i * cw + 15) + '" text-anchor="end">' + esc(p) + '</text>';
    cols.forEach((c, j) => {
      const scores = rows.map(q => (cell(q, c.task) || {}).score).filter(v => v !== null && v !== undefined);
      const v = (cell(p, c.task) || {}).score;
      let fill = '#eee', rank = '';
      if (v !== null && v !== undefined) {
        rank = 1 + scores.filter(s => c.higher_is_better ? s > v : s < v).length;
        const f = scores.length > 1 ? (rank - 1) / (scores.length - 1) : 0; fill = 'hsl(' + (120 - 120 * f) + ',60%,55%)';
      }
      heat += '<rect x="' + (lw + j * cw) + '" y="' + (th + i * cw) + '" width="' + (cw - 2) + '" height="' + (cw - 2) + '" fill="' + fill +
        '"><title>' + esc(p) + ' × ' + esc(c.task) + (rank ? ': rank ' + rank : ': no score') + '</title></rect>';
    });
  });
  cols.forEach((c, j) => heat += '<text transform="translate(' + (lw + j * cw + 12) + ',' + (th - 4) + ') rotate(-60)">' + esc(c.task) + '</text>');
  const heatSvg = svg(lw + cols.length * cw + 10, th + rows.length * cw + 10, heat);
  const qb = rows.filter(p => D.aggregates[p].mean_rank !== null && D.aggregates[p].bias_rank !== null)
    .map(p => ({x: D.aggregates[p].mean_rank, y: D.aggregates[p].bias_rank, label: p}));
  const dims = rows.filter(p => D.metadata[p].dim && D.aggregates[p].mean_rank !== null)
    .map(p => ({x: Math.log2(D.metadata[p].dim), y: D.aggregates[p].mean_rank, label: p}));
  document.getElementById('plots').innerHTML =
    '<figure id="plot-heatmap">' + heatSvg + '<figcaption>Rank per quality task by score, as the mean rank counts it (green: first)</figcaption></figure>' +
    '<figure id="plot-bias">' + scatter(qb, 'mean quality rank (lower is better)', 'bias rank (lower is less biased)') + '<figcaption>Quality against bias</figcaption></figure>' +
    '<figure id="plot-dim">' + scatter(dims, 'log2 dimension', 'mean quality rank') + '<figcaption>Mean rank against dimension</figcaption></figure>';
  document.querySelectorAll('#plot-bias svg, #plot-dim svg').forEach(arrangeLabels);
}
// Quality against bytes for one named task: every provider (and search index) with its interval, the Pareto
// frontier joined by a line (filled points: nothing is as good for fewer bytes).
function frontierPlot(task) {
  const points = D.frontiers[task] || [], w = 420, h = 260, m = 44;
  if (!points.length) return svg(w, h, '<text x="10" y="20">no data</text>');
  const xs = points.map(p => Math.log10(p.bytes)), ys = points.flatMap(p => p.ci95 ? [p.ci95[0], p.ci95[1], p.score] : [p.score]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = x => m + (x1 === x0 ? 0.5 : (x - x0) / (x1 - x0)) * (w - 2 * m), sy = y => h - m - (y1 === y0 ? 0.5 : (y - y0) / (y1 - y0)) * (h - 2 * m);
  const line = points.filter(p => p.frontier).map(p => sx(Math.log10(p.bytes)) + ',' + sy(p.score)).join(' ');
  return svg(w, h, '<line x1="' + m + '" y1="' + (h - m) + '" x2="' + (w - m) + '" y2="' + (h - m) + '" stroke="#888"/>' +
    '<line x1="' + m + '" y1="' + m + '" x2="' + m + '" y2="' + (h - m) + '" stroke="#888"/>' +
    '<text x="' + w / 2 + '" y="' + (h - 8) + '" text-anchor="middle">log10 bytes (' + esc(points[0].of === 'index' ? 'search index' : 'model') + ')</text>' +
    '<text x="12" y="' + h / 2 + '" transform="rotate(-90 12 ' + h / 2 + ')" text-anchor="middle">' + esc(task) + ' score</text>' +
    '<polyline class="frontier" points="' + line + '" fill="none" stroke="#cf222e"/>' +
    points.map(p => { const x = sx(Math.log10(p.bytes));
      return (p.ci95 ? '<line class="interval" x1="' + x + '" x2="' + x + '" y1="' + sy(p.ci95[0]) + '" y2="' + sy(p.ci95[1]) + '" stroke="#0969da"/>' : '') +
        '<circle class="' + (p.frontier ? 'on-frontier' : 'off-frontier') + '" data-label="' + esc(p.label) + '" cx="' + x + '" cy="' + sy(p.score) +
        '" r="4" stroke="#0969da" fill="' + (p.frontier ? '#0969da' : '#fff') + '"><title>' + esc(p.label) + ': ' + num(p.score) +
        ' with ' + Number(p.bytes).toLocaleString('en') + ' bytes</title></circle>' +
        '<text class="point" data-x="' + x + '" data-y="' + sy(p.score) + '">' + esc(p.label) + '</text>'; }).join(''));
}
function frontiers() {
  const tasks = Object.keys(D.frontiers || {}), box = document.getElementById('frontier');
  if (!tasks.length) { box.remove(); return; }
  const first = tasks.find(t => D.frontiers[t].some(p => p.of === 'index')) || tasks[0];
  box.innerHTML = '<label>task <select id="frontier-task">' + tasks.map(t => '<option' + (t === first ? ' selected' : '') + '>' + esc(t) +
    '</option>').join('') + '</select></label><div id="frontier-plot"></div><figcaption>Quality against bytes: what each compression or' +
    ' index costs, with its 95% interval; filled points are on the Pareto frontier</figcaption>';
  const draw = () => { const plot = document.getElementById('frontier-plot'); plot.innerHTML = frontierPlot(document.getElementById('frontier-task').value);
    arrangeLabels(plot.querySelector('svg')); };
  document.getElementById('frontier-task').addEventListener('change', draw);
  draw();
}
function metadata() {
  const keys = [...new Set(Object.values(D.metadata).flatMap(m => Object.keys(m)))];
  document.getElementById('metadata').innerHTML = '<thead><tr><th>provider</th>' + keys.map(k => '<th>' + esc(k) + '</th>').join('') +
    '</tr></thead><tbody>' + D.providers.map(p => '<tr><th>' + esc(p) + '</th>' + keys.map(k => '<td>' +
    esc(D.metadata[p][k] === undefined ? '–' : typeof D.metadata[p][k] === 'number' ? Number(D.metadata[p][k]).toLocaleString('en') : D.metadata[p][k]) + '</td>').join('') + '</tr>').join('') + '</tbody>';
}
const select = document.getElementById('family');
select.innerHTML = '<option value="all">all families</option>' + families.map(f => '<option value="' + esc(f) + '">' + esc(f) + '</option>').join('');
select.addEventListener('change', () => { family = select.value; render(); });
document.querySelectorAll('input[name=view]').forEach(r => r.addEventListener('change', () => { view = r.value; render(); }));
render(); plots(); frontiers(); metadata();
