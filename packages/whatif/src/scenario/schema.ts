// SPDX-License-Identifier: Apache-2.0
// Scenario files (YAML, iofleet/v1 kind Scenario): the fleet, the VM workload (Poisson arrivals of
// VM shapes, or a trace replay), each VM's device I/O, the simulated duration, a seed, and the
// variants to compare. See docs/scenarios.md.

import { hostDescriptionSchema, refineUnique } from '@iofleet/host';
import { MAX_FLEET_HOSTS, MAX_VMS } from '@iofleet/placement';
import { z } from 'zod';

const duration = z
  .union([
    z.number().positive(),
    z.string().regex(/^\d+(\.\d+)?(ns|us|ms|s|m|h)$/, 'expected a duration like 500ms, 10s, 2h'),
  ])
  .transform((v) => {
    if (typeof v === 'number') return v * 1e9;
    const m = /^(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)$/.exec(v)!;
    const unit = { ns: 1, us: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 }[m[2] as 'ns']!;
    return Number(m[1]) * unit;
  });

export const deviceIoSchema = z
  .object({
    /** Device class the I/O runs on (one of the VM's devices), e.g. nvme. */
    device: z.string(),
    /**
     * 'assigned': the VM's own device, given to it through VFIO (its DMA goes GPA -> HPA through
     * the host IOMMU; the host's DMA mode does not apply). 'host': the VM's virtual disk or NIC is
     * served by a host device of this class, driven by the host kernel in the variant's mode.
     */
    via: z.enum(['assigned', 'host']).default('assigned'),
    /** Plugin and options of the workload; default: the device's plugin with its defaults. */
    plugin: z.string().optional(),
    options: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).default({}),
  })
  .strict();

export const vmShapeSchema = z
  .object({
    name: z.string(),
    weight: z.number().positive().default(1),
    vcpus: z.number().int().positive(),
    memoryGiB: z.number().positive(),
    devices: z
      .array(
        z
          .object({
            class: z.string(),
            count: z.number().int().positive().default(1),
            allowVf: z.boolean().default(false),
          })
          .strict(),
      )
      .default([]),
    numaPolicy: z.enum(['required', 'preferred', 'socket', 'none']).default('preferred'),
    colocate: z.array(z.array(z.string())).optional(),
    io: z.array(deviceIoSchema).default([]),
  })
  .strict();

export const variantSchema = z
  .object({
    name: z.string().regex(/^[A-Za-z0-9_.-]+$/, 'variant names are letters, digits, _ . -'),
    description: z.string().optional(),
    baseline: z.boolean().default(false),
    /** Kernel command line appended to each host's, and/or a distribution preset. */
    cmdline: z.string().optional(),
    distro: z.string().optional(),
    iotlbEntries: z.number().int().positive().optional(),
    /** IOMMU superpages: false = 4 KiB IOMMU mappings only. */
    superpages: z.boolean().optional(),
    /** 'acs': groups as hardware ACS allows (default); 'override': pretend every port has ACS (pcie_acs_override). */
    groupIsolation: z.enum(['acs', 'override']).optional(),
    /**
     * How VMs get their devices: 'passthrough' (VFIO), 'emulated' (the hypervisor translates in
     * software), 'viommu' (VFIO with a virtio-iommu in the guest: every guest map traps),
     * 'viommu-lazy' (the same guest with a lazy domain: unmaps sent once per flush-queue flush) or
     * 'viommu-bounce' (the same guest bouncing through a pool mapped once).
     */
    deviceModel: z.enum(['passthrough', 'emulated', 'viommu', 'viommu-lazy', 'viommu-bounce']).optional(),
    /**
     * Hosts moved to other hardware: a fleet entry (its `template` path as the fleet gives it, or
     * an inline host's name) -> the host file its hosts are in this variant (relative to the
     * scenario), with the same count; e.g. x86 hosts replaced by Arm ones.
     */
    hostTemplates: z.record(z.string().min(1), z.string().min(1)).optional(),
  })
  .strict();

export const scenarioSchema = z
  .object({
    apiVersion: z.literal('iofleet/v1').default('iofleet/v1'),
    kind: z.literal('Scenario').default('Scenario'),
    name: z.string(),
    description: z.string().optional(),
    seed: z.number().int().nonnegative().default(1),
    /** Simulated time each device workload runs for. */
    duration: duration.default(0.01 * 1e9),
    /** Hosts: a host file (`template`, relative to the scenario) or a host description inline (`host`). */
    fleet: z
      .array(
        z
          .object({
            template: z.string().optional(),
            host: hostDescriptionSchema.optional(),
            count: z.number().int().positive().max(MAX_FLEET_HOSTS),
          })
          .strict()
          .refine((f) => (f.template === undefined) !== (f.host === undefined), {
            message: 'give either template (a host file) or host (an inline description)',
          }),
      )
      .min(1),
    workload: z.union([
      z
        .object({
          kind: z.literal('poisson'),
          vms: z.number().int().positive().max(MAX_VMS),
          ratePerHour: z.number().positive(),
          /** Mean VM lifetime (exponential); default 1h. */
          meanLifetime: duration.default(3600e9),
          shapes: z.array(vmShapeSchema).min(1),
        })
        .strict(),
      z
        .object({
          kind: z.literal('alibaba-gpu-v2023'),
          pods: z.string(),
          nodes: z.string().optional(),
          limit: z.number().int().positive().optional(),
          io: z.array(deviceIoSchema).default([]),
        })
        .strict(),
    ]),
    /** Hosts whose DMA is simulated per (template, variant); others reuse their figures (see docs). */
    representativeHosts: z.number().int().positive().default(1),
    variants: z.array(variantSchema).min(1),
  })
  .strict()
  .superRefine((s, ctx) => {
    refineUnique(ctx, s.variants, 'name', ['variants'], 'variant name');
    const fleetKeys = new Set(s.fleet.map((f) => f.template ?? f.host?.name));
    s.variants.forEach((v, i) => {
      for (const from of Object.keys(v.hostTemplates ?? {}))
        if (!fleetKeys.has(from))
          ctx.addIssue({
            code: 'custom',
            path: ['variants', i, 'hostTemplates', from],
            message: `'${from}' is no fleet entry (fleet: ${[...fleetKeys].join(', ')})`,
          });
    });
    if (s.variants.filter((v) => v.baseline).length > 1) {
      ctx.addIssue({ code: 'custom', path: ['variants'], message: 'at most one variant may be the baseline' });
    }
  });

export type Scenario = z.output<typeof scenarioSchema>;
export type Variant = z.output<typeof variantSchema>;
export type VmShape = z.output<typeof vmShapeSchema>;
