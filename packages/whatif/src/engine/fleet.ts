// SPDX-License-Identifier: Apache-2.0
// The fleet of a scenario under one variant: each template is booted once as Linux would boot it
// with the variant applied (command line, distribution, IOTLB size, superpages, group isolation),
// and its placement view (NUMA nodes, devices with their IOMMU groups, IOMMU mode) is copied for
// every host of the template. Hosts of one template are identical by construction, so booting one
// per template and variant gives every host's groups exactly.

import { dirname, isAbsolute, resolve } from 'node:path';
import { bootHost, type Host, type HostDescription, hostInventory, loadHostDescription } from '@iofleet/host';
import type { PlacementHost } from '@iofleet/placement';
import type { Scenario, Variant } from '../scenario/schema';

export interface Template {
  /** The path as the scenario gives it. */
  name: string;
  file: string;
  desc: HostDescription;
  count: number;
}

export function loadTemplates(s: Scenario, scenarioFile: string): Template[] {
  const base = dirname(scenarioFile);
  return s.fleet.map((f, i) => {
    if (f.host)
      return { name: `fleet[${i}] (inline ${f.host.name})`, file: scenarioFile, desc: f.host, count: f.count };
    const t = f.template!;
    const file = isAbsolute(t) ? t : resolve(base, t);
    return { name: t, file, desc: loadHostDescription(file), count: f.count };
  });
}

/**
 * The fleet a variant runs on: the scenario's templates, with those the variant's `hostTemplates`
 * names replaced by another host file (same count; the hosts take the new file's name, so their
 * ids are `<new host name>-<index>`). `cache` keeps loaded files across variants.
 */
export function variantTemplates(
  base: readonly Template[],
  s: Scenario,
  v: Variant,
  scenarioFile: string,
  cache: Map<string, HostDescription>,
): Template[] {
  if (!v.hostTemplates) return [...base];
  const dir = dirname(scenarioFile);
  return base.map((t, i) => {
    const f = s.fleet[i]!;
    const to = v.hostTemplates![f.template ?? f.host!.name];
    if (to === undefined) return t;
    const file = isAbsolute(to) ? to : resolve(dir, to);
    let desc = cache.get(file);
    if (!desc) {
      desc = loadHostDescription(file);
      cache.set(file, desc);
    }
    return { name: to, file, desc, count: t.count };
  });
}

/** Index of the template a host id (`<template host name>-<index>`) belongs to, or -1. */
export function templateIndexOf(templates: readonly Template[], hostId: string): number {
  const cut = hostId.lastIndexOf('-');
  const name = hostId.slice(0, cut);
  const k = Number(hostId.slice(cut + 1));
  return templates.findIndex(
    (t, i) => t.desc.name === name && k >= firstIndex(templates, i) && k < firstIndex(templates, i) + t.count,
  );
}

/** The host description with the variant's hardware and topology deltas applied. */
export function applyVariant(desc: HostDescription, v: Variant): HostDescription {
  const iommu = { ...desc.iommu };
  if (v.iotlbEntries !== undefined) {
    const ways = Math.min(iommu.iotlb.ways, v.iotlbEntries);
    iommu.iotlb = { ...iommu.iotlb, entries: v.iotlbEntries, ways };
  }
  if (v.superpages !== undefined) iommu.superpages = v.superpages ? ['2M', '1G'] : [];
  // pcie_acs_override: every port and multifunction device claims full ACS, so groups split.
  const pci = v.groupIsolation === 'override' ? desc.pci.map((n) => ({ ...n, acs: true })) : desc.pci;
  return { ...desc, iommu, pci };
}

export function bootVariant(t: Template, v: Variant): Host {
  return bootHost(applyVariant(t.desc, v), {
    file: t.file,
    ...(v.cmdline && { cmdline: v.cmdline }),
    ...(v.distro && { distro: v.distro }),
  });
}

/** The placement view of a booted host: what a host agent reports in its inventory (hostInventory). */
export function placementBlueprint(h: Host): Omit<PlacementHost, 'id'> {
  const { numaNodes, devices, iommuMode } = hostInventory(h);
  return { numaNodes, devices: devices.map(({ plugin: _plugin, ...d }) => d), iommuMode };
}

/** Id of the k-th host of a template: what a host agent serving it reports (hostIdFor()). */
export function fleetHostId(name: string, k: number): string {
  return `${name}-${String(k).padStart(4, '0')}`;
}

/** Index of a template's first host: templates with the same host name continue its numbering. */
export function firstIndex(templates: readonly Template[], i: number): number {
  let n = 0;
  for (let j = 0; j < i; j++) if (templates[j]!.desc.name === templates[i]!.desc.name) n += templates[j]!.count;
  return n;
}

/** Every host of the fleet under `v`, ids `<template host name>-<index>`, in id order. */
export function fleetHosts(templates: readonly Template[], booted: readonly Host[]): PlacementHost[] {
  const out: PlacementHost[] = [];
  for (const [i, t] of templates.entries()) {
    const bp = placementBlueprint(booted[i]!);
    const first = firstIndex(templates, i);
    for (let k = 0; k < t.count; k++)
      out.push({
        id: fleetHostId(t.desc.name, first + k),
        numaNodes: bp.numaNodes,
        devices: bp.devices,
        iommuMode: bp.iommuMode,
      });
  }
  // The placement view takes hosts in id order, as the scheduler does (deterministic either way).
  return out.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
