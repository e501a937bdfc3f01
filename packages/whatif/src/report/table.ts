// SPDX-License-Identifier: Apache-2.0
// The terminal report: a headline per variant (fleet-wide totals), one placement table and one I/O
// table per device class, variants as rows, with the change against the baseline. A table wider
// than the terminal is split into column groups that fit, each repeating the variant column.

import Table from 'cli-table3';
import type { SimulationReport } from '../engine/simulate';
import { type Column, deviceClasses, headline, IO_COLUMNS, ioCells, PLACEMENT_COLUMNS } from './columns';

/** No ANSI colours: the table goes to files and pipes as often as to terminals. */
const PLAIN = { head: [] as string[], border: [] as string[] };

export interface TableOptions {
  /** Terminal width in characters; tables wider than this are split (default: no limit). */
  width?: number;
}

/** Width cli-table3 draws a table of these cells at: each column padded by 1 on both sides, plus borders. */
function drawnWidth(widths: readonly number[]): number {
  return widths.reduce((a, w) => a + w + 3, 1);
}

/**
 * Splits columns 1.. into groups such that each group, with column 0 in front, draws within
 * `width`; a single column wider than that goes alone.
 */
export function columnGroups(widths: readonly number[], width: number): number[][] {
  const groups: number[][] = [];
  let cur: number[] = [];
  for (let i = 1; i < widths.length; i++) {
    const next = [...cur, i];
    if (cur.length > 0 && drawnWidth([widths[0]!, ...next.map((k) => widths[k]!)]) > width) {
      groups.push(cur);
      cur = [i];
    } else cur = next;
  }
  if (cur.length > 0) groups.push(cur);
  return groups;
}

function draw(head: readonly string[], rows: readonly (readonly string[])[], width: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const groups = drawnWidth(widths) <= width ? [head.map((_, i) => i).slice(1)] : columnGroups(widths, width);
  return groups
    .map((g) => {
      const t = new Table({ head: [head[0]!, ...g.map((i) => head[i]!)], style: PLAIN });
      for (const r of rows) t.push([r[0]!, ...g.map((i) => r[i]!)]);
      return t.toString();
    })
    .join('\n');
}

function columns<T>(first: string, cols: readonly Column<T>[], items: readonly { name: string; item: T }[], w: number) {
  return draw(
    [first, ...cols.map((c) => c.head)],
    items.map(({ name, item }) => [name, ...cols.map((c) => c.text(item))]),
    w,
  );
}

export function renderTable(r: SimulationReport, o: TableOptions = {}): string {
  const width = o.width && o.width > 20 ? o.width : Number.POSITIVE_INFINITY;
  const placement = columns(
    'variant',
    PLACEMENT_COLUMNS,
    r.variants.map((v) => ({ name: `${v.name}${v.baseline ? ' (baseline)' : ''}`, item: v })),
    width,
  );
  const io = deviceClasses(r).map((cls) =>
    columns(
      `${cls}: variant`,
      IO_COLUMNS,
      ioCells(r, cls).map((c) => ({ name: c.variant.name, item: c })),
      width,
    ),
  );
  return [
    `scenario ${r.scenario}: ${r.hosts.toLocaleString('en-US')} hosts, ${r.vms.toLocaleString('en-US')} VMs, seed ${r.seed}, ${r.variants.length} variants`,
    ...r.variants.map(headline),
    placement,
    ...io,
    ...r.notes.map((n) => `note: ${n}`),
    '',
  ].join('\n');
}
