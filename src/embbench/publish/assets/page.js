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
    '<th data-key="borda" class="agg">Borda<small>↑</small></th>'].concat(bias.length ? ['<th data-key="bias_rank" class="agg">bias rank<small>↓</small></th>'] : [])
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
      '</td><td class="agg">' + a.borda + '</td>' + (bias.length ? '<td class="agg">' + fmt(a.bias_rank, 2) + '</td>' : '');
    const tds = cols.map(col => {
      const c = cell(p, col.task), v = shown(c);
      if (v === null || v === undefined) return '<td class="none" title="' + esc(tooltip(c, col)) + '">–</td>';
      const cls = [c.best && view === 'all' ? 'best' : '', c.top_tier && !c.best && view === 'all' ? 'tier' : '',
        c.coverage < D.min_coverage && view === 'all' ? 'low' : ''].join(' ').trim();
      return '<td class="' + cls + '" data-provider="' + esc(p) + '" data-task="' + esc(col.task) + '" title="' + esc(tooltip(c, col)) + '">' + fmt(v) +
        (cls.includes('tier') ? '<span class="mark">†</span>' : '') + '</td>';
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
  return '<table>' + Object.entries(obj || {}).map(([k, v]) => '<tr><th>' + esc(k) + '</th>' +
    (typeof v === 'number' ? '<td class="num">' + num(v) : '<td>' + esc(JSON.stringify(v))) + '</td></tr>').join('') + '</table>';
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
      Object.values(r).map(v => typeof v === 'number' ? '<td class="num">' + num(v) + '</td>' : '<td>' + esc(v) + '</td>').join('') + '</tr>').join('') + '</table>' : '') +
    '<p class="note">record: ' + esc(c.record) + '</p>';
  box.classList.remove('hidden');
  box.querySelector('.close').addEventListener('click', () => box.classList.add('hidden'));
  box.scrollIntoView({block: 'nearest'});
}
// The plots are drawn when the page is written (SVG in the page); the task picker shows one quality-against-bytes plot.
function frontiers() {
  const picker = document.getElementById('frontier-task');
  if (!picker) return;
  picker.addEventListener('change', () => document.querySelectorAll('#frontier figure').forEach(f => { f.hidden = f.dataset.task !== picker.value; }));
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
render(); frontiers(); metadata();
