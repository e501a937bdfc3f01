// SPDX-License-Identifier: Apache-2.0
// The HTML report: one self-contained file (Chart.js and the data inline, no network): the headline
// per variant, a variant table, one table per device class with the columns of the terminal report
// (latency, CPU per I/O, change against the baseline) whose cells carry the JSON figures (data-*
// attributes, checked by a browser test), and charts per device class of IOPS, p99 latency and CPU
// per I/O, plus placements per variant.

import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { SimulationReport } from '../engine/simulate';
import { deviceClasses, headline, IO_COLUMNS, ioCells } from './columns';

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function chartJs(): string {
  // The UMD build is not in the package's exports map: found beside its resolvable main entry.
  const file = join(dirname(require.resolve('chart.js')), 'chart.umd.min.js');
  return readFileSync(file, 'utf8').replace(/<\/script/gi, '<\\/script');
}

/** The I/O table of one device class: a row per variant, a cell per column with its raw value. */
function ioTable(r: SimulationReport, cls: string): string {
  const head = IO_COLUMNS.map((c) => `<th>${esc(c.head)}</th>`).join('');
  const rows = ioCells(r, cls)
    .map(
      (cell) =>
        `<tr data-variant="${esc(cell.variant.name)}"><td>${esc(cell.variant.name)}</td>${IO_COLUMNS.map(
          (c) => `<td data-col="${c.csv}" data-value="${esc(String(c.value(cell) ?? ''))}">${esc(c.text(cell))}</td>`,
        ).join('')}</tr>`,
    )
    .join('\n');
  return `<h2>${esc(cls)}</h2>\n<table class="io" data-class="${esc(cls)}"><thead><tr><th>variant</th>${head}</tr></thead>\n<tbody>\n${rows}\n</tbody></table>`;
}

export function renderHtml(r: SimulationReport): string {
  const classes = deviceClasses(r);
  const rows = r.variants
    .map((v) => {
      const cells = classes
        .map((c) => {
          const f = v.io.find((x) => x.deviceClass === c);
          return `<td data-class="${esc(c)}" data-iops="${f?.iops ?? ''}">${f ? Math.round(f.iops).toLocaleString('en-US') : '-'}</td>`;
        })
        .join('');
      return `<tr data-variant="${esc(v.name)}"><td>${esc(v.name)}${v.baseline ? ' (baseline)' : ''}</td><td data-placed="${v.placement.placed}">${v.placement.placed}</td><td data-rejected="${v.placement.rejected}">${v.placement.rejected}</td><td data-stranded="${v.placement.devicesStranded}">${v.placement.devicesStranded.toFixed(1)}</td>${cells}</tr>`;
    })
    .join('\n');
  const charts = [
    { id: 'placement', title: 'VMs placed and rejected' },
    ...classes.flatMap((c) => [
      { id: `iops-${c}`, title: `${c}: IOPS per device` },
      { id: `p99-${c}`, title: `${c}: p99 latency (µs)` },
      { id: `cpu-${c}`, title: `${c}: CPU ns per I/O` },
    ]),
  ];
  const data = JSON.stringify({ variants: r.variants, classes }).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>iofleet: ${esc(r.scenario)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem;max-width:1200px;color:#222}
table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccc;padding:.3rem .6rem;text-align:right}
td:first-child,th:first-child{text-align:left}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1rem}
.chart{border:1px solid #eee;padding:.5rem}.note{color:#555;font-size:.9rem}
</style></head><body>
<h1>iofleet what-if: ${esc(r.scenario)}</h1>
<p>${esc(r.description ?? '')}</p>
<p>${r.hosts.toLocaleString('en-US')} hosts, ${r.vms.toLocaleString('en-US')} VMs, seed ${r.seed}; device workloads ran ${r.simulatedIoMs} ms of simulated time each.</p>
<ul id="headlines">${r.variants.map((v) => `<li data-variant="${esc(v.name)}">${esc(headline(v))}</li>`).join('')}</ul>
<table id="variants"><thead><tr><th>variant</th><th>placed</th><th>rejected</th><th>stranded devices</th>${classes.map((c) => `<th>${esc(c)} IOPS/device</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody></table>
${classes.map((c) => ioTable(r, c)).join('\n')}
<div class="charts">${charts.map((c) => `<div class="chart"><h3>${esc(c.title)}</h3><canvas id="chart-${esc(c.id)}" data-chart="${esc(c.id)}"></canvas></div>`).join('')}</div>
${r.notes.map((n) => `<p class="note">${esc(n)}</p>`).join('\n')}
<script>${chartJs()}</script>
<script id="report-data" type="application/json">${data}</script>
<script>
(function () {
  var d = JSON.parse(document.getElementById('report-data').textContent);
  var names = d.variants.map(function (v) { return v.name; });
  window.__charts = {};
  function bar(id, datasets) {
    var el = document.getElementById('chart-' + id);
    window.__charts[id] = new Chart(el, { type: 'bar', data: { labels: names, datasets: datasets }, options: { animation: false, responsive: true } });
  }
  bar('placement', [
    { label: 'placed', data: d.variants.map(function (v) { return v.placement.placed; }), backgroundColor: '#4e79a7' },
    { label: 'rejected', data: d.variants.map(function (v) { return v.placement.rejected; }), backgroundColor: '#e15759' }
  ]);
  d.classes.forEach(function (c) {
    function fig(k, scale) { return d.variants.map(function (v) { var f = v.io.find(function (x) { return x.deviceClass === c; }); return f ? f[k] / scale : null; }); }
    bar('iops-' + c, [{ label: 'IOPS', data: fig('iops', 1), backgroundColor: '#59a14f' }]);
    bar('p99-' + c, [{ label: 'p99 µs', data: fig('latencyP99Ns', 1000), backgroundColor: '#f28e2b' }]);
    bar('cpu-' + c, [{ label: 'CPU ns/IO', data: fig('cpuNsPerIo', 1), backgroundColor: '#76b7b2' }]);
  });
})();
</script>
</body></html>
`;
}
