/**
 * The page around the sections of `fre report`: one self-contained HTML file (inline CSS, inline
 * SVG, one small inline script; no network, no external fonts), readable on screen and printable.
 */
import { escapeXml } from '../../plot/svg-plot';

export const esc = escapeXml;

export interface Section {
  /** 'train' | 'chip' | 'sweep': the kind of result (data-kind on the <section>). */
  kind: string;
  title: string;
  /** The file it was read from (shown, not linked). */
  file: string;
  html: string;
}

/** A table; `numeric` columns are right-aligned. Cells are escaped unless given as { html }. */
export function table(head: string[], rows: (string | { html: string })[][], o: { numeric?: boolean[]; cls?: string } = {}): string {
  const cell = (c: string | { html: string }) => (typeof c === 'string' ? esc(c) : c.html);
  const align = (i: number) => (o.numeric?.[i] ? ' class="num"' : '');
  return (
    `<table${o.cls ? ` class="${o.cls}"` : ''}><thead><tr>${head.map((h, i) => `<th${align(i)}>${esc(h)}</th>`).join('')}</tr></thead>` +
    `<tbody>${rows.map((r) => `<tr>${r.map((c, i) => `<td${align(i)}>${cell(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>`
  );
}

/** Key–value rows (a summary). */
export function facts(rows: [string, string][]): string {
  return `<table class="facts"><tbody>${rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</tbody></table>`;
}

/** An inline SVG figure with a caption; `plot` names it for tests (data-plot). */
export function figureHtml(plot: string, svg: string, caption?: string): string {
  // The SVG documents are complete (<svg xmlns=…>); inline SVG in HTML takes them as they are.
  return `<figure data-plot="${esc(plot)}">${svg.trim()}${caption ? `<figcaption>${esc(caption)}</figcaption>` : ''}</figure>`;
}

/** Provenance (fre version, commit, backend, machine…) as a table, when a result carries it. */
export function provenanceHtml(p: unknown): string {
  if (p === undefined || p === null) return '';
  const rows: [string, string][] =
    typeof p === 'object' && !Array.isArray(p)
      ? Object.entries(p as Record<string, unknown>).map(([k, v]) => [k, typeof v === 'string' ? v : JSON.stringify(v)])
      : [['provenance', JSON.stringify(p)]];
  return `<h3>Provenance</h3><div class="provenance">${facts(rows)}</div>`;
}

/** JSON shown folded (configurations). */
export function jsonDetails(summary: string, value: unknown): string {
  return `<details><summary>${esc(summary)}</summary><pre>${esc(JSON.stringify(value, null, 2))}</pre></details>`;
}

const CSS = `
body { font-family: "DejaVu Sans", Arial, sans-serif; margin: 24px auto; max-width: 1200px; color: #222; padding: 0 16px; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 18px; border-bottom: 1px solid #ccc; padding-bottom: 4px; margin-top: 32px; }
h3 { font-size: 15px; margin: 18px 0 6px; }
.files { color: #555; font-size: 13px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; cursor: pointer; user-select: none; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.num { white-space: nowrap; }
table.facts th { background: #f7f7f7; font-weight: normal; color: #444; }
figure { margin: 8px 0 16px; overflow-x: auto; } figure svg { max-width: 100%; height: auto; }
figcaption { font-size: 12px; color: #555; }
.warning { color: #8a4b00; font-size: 13px; }
pre { font-size: 12px; background: #f7f7f7; padding: 8px; overflow-x: auto; max-height: 420px; }
@media print { thead th { cursor: auto; } details { display: none; } section { break-inside: avoid-page; } }
`;

/**
 * Click a column header to sort the rows by it (numbers by value, else as text); that is all the
 * script does — everything is drawn without it. It sets data-ready so a test knows it ran.
 */
const SCRIPT = `
(function () {
  function key(td) { var t = td.getAttribute('data-sort') || td.textContent || ''; var n = parseFloat(t.replace(/[^0-9eE+\\-.]/g, ' ').trim().split(' ')[0]); return isNaN(n) ? t : n; }
  document.querySelectorAll('table:not(.facts)').forEach(function (tbl) {
    tbl.querySelectorAll('thead th').forEach(function (th, col) {
      th.addEventListener('click', function () {
        var body = tbl.tBodies[0]; var rows = Array.prototype.slice.call(body.rows);
        var dir = th.getAttribute('data-dir') === 'asc' ? -1 : 1; th.setAttribute('data-dir', dir > 0 ? 'asc' : 'desc');
        rows.sort(function (a, b) { var x = key(a.cells[col]), y = key(b.cells[col]);
          return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir; });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
  document.documentElement.setAttribute('data-ready', '1');
})();
`;

export function page(title: string, sections: Section[]): string {
  const files = sections.map((s) => s.file);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p class="files">From: ${files.map(esc).join(', ')}</p>
${sections.map((s) => `<section data-kind="${esc(s.kind)}">\n<h2>${esc(s.title)}</h2>\n${s.html}\n</section>`).join('\n')}
<script>${SCRIPT}</script>
</body>
</html>
`;
}
