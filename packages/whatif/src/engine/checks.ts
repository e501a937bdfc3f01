// SPDX-License-Identifier: Apache-2.0
// What the schema cannot check in a scenario because it needs the fleet: every device class a VM
// asks for, or runs I/O on, exists on some host of the fleet. A class no host has would otherwise
// reject every VM asking for it (as "no-matching-device") or drop its I/O without a word.
import { type DescriptionIssue, formatIssue, type Host, HostError } from '@iofleet/host';
import type { Scenario } from '../scenario/schema';

/** Lines of a loaded scenario's nodes (set by loadScenario), for errors found after validation. */
export const SCENARIO_LINES = new WeakMap<Scenario, (path: readonly PropertyKey[]) => number | undefined>();

/** The (path, class) pairs of a scenario that name a device class. */
function classReferences(s: Scenario): { path: (string | number)[]; cls: string }[] {
  const refs: { path: (string | number)[]; cls: string }[] = [];
  const io = (base: (string | number)[], list: readonly { device: string }[]) =>
    list.forEach((x, j) => {
      refs.push({ path: [...base, 'io', j, 'device'], cls: x.device });
    });
  if (s.workload.kind === 'poisson')
    s.workload.shapes.forEach((shape, i) => {
      const base = ['workload', 'shapes', i];
      shape.devices.forEach((d, j) => {
        refs.push({ path: [...base, 'devices', j, 'class'], cls: d.class });
      });
      io(base, shape.io);
    });
  else io(['workload'], s.workload.io);
  return refs;
}

/** Throws a HostError listing every device class of `s` that no host of the fleet (booted) has. */
export function checkDeviceClasses(s: Scenario, file: string, hosts: readonly Host[]): void {
  const have = new Set<string>();
  for (const h of hosts) for (const f of h.tree.functions) if (f.desc.class) have.add(f.desc.class);
  const lineOf = SCENARIO_LINES.get(s);
  const issues: DescriptionIssue[] = classReferences(s)
    .filter((r) => !have.has(r.cls))
    .map((r) => ({
      file,
      line: lineOf?.(r.path),
      path: r.path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i ? `.${p}` : p)).join(''),
      message: `no host of the fleet has a device of class '${r.cls}' (classes: ${[...have].sort().join(', ')})`,
    }));
  if (issues.length) throw new HostError('DESCRIPTION_INVALID', issues.map(formatIssue).join('\n'), issues);
}
