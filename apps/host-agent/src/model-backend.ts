// SPDX-License-Identifier: Apache-2.0
// The production backend: one @iofleet/host model booted from a host file. Attach assigns the
// requested functions and the other endpoints of their IOMMU groups to the VM through VFIO (a
// group is all or nothing); a group holding a host-bound function is not viable and the attach
// fails with Linux's message. Workloads boot a fresh copy of the host in the requested mode, so
// they never disturb the VMs of the serving model.
//
// Simplification: a VM's guest RAM is modelled up to MODEL_GUEST_MIB (mapped GPA -> HPA through
// VFIO); larger guests are accounted by size but not mapped page by page.

import {
  fullName,
  type Host,
  type HostDescription,
  type HostDevice,
  type HostInventoryView,
  hostInventory,
  isHostError,
  isPciEndpoint,
  type PluginRegistry,
  type RunMode,
  runHostWorkload,
  Vm,
} from '@iofleet/host';
import {
  type Device,
  type HostInventory,
  IommuMode,
  type RunWorkloadRequest,
  type WatchEventsResponse,
  WorkloadPath,
  type WorkloadResult,
} from '@iofleet/proto';
import { type IofleetMetrics, tracerOf } from '@iofleet/telemetry';
import { ATTR_HOST, ATTR_VM_ID, SERVICE_HOST_AGENT, SPAN_DOMAIN_ATTACH } from '@iofleet/vocabulary';
import type { AttachOutcome, HostBackend } from './backend';
import { AgentError } from './errors';

const TRACER = tracerOf(SERVICE_HOST_AGENT);

/** Guest RAM mapped per VM in the model, MiB (see the header). */
export const MODEL_GUEST_MIB = 16;
/** Bound on listeners of one host's events. */
export const MAX_EVENT_LISTENERS = 1024;
/** Bound on simulated time of one RunWorkload call, ns (1 s). */
export const MAX_WORKLOAD_NS = 1_000_000_000n;

const MODE_OF: Readonly<Record<number, RunMode>> = {
  [IommuMode.IOMMU_MODE_OFF]: 'off',
  [IommuMode.IOMMU_MODE_PASSTHROUGH]: 'pt',
  [IommuMode.IOMMU_MODE_LAZY]: 'lazy',
  [IommuMode.IOMMU_MODE_STRICT]: 'strict',
};

/** The inventory's IOMMU modes in the proto's enum. */
const PROTO_MODE: Readonly<Record<HostInventoryView['iommuMode'], IommuMode>> = {
  off: IommuMode.IOMMU_MODE_OFF,
  pt: IommuMode.IOMMU_MODE_PASSTHROUGH,
  strict: IommuMode.IOMMU_MODE_STRICT,
  lazy: IommuMode.IOMMU_MODE_LAZY,
};

const PATH_MODE: Readonly<Record<number, RunMode>> = {
  [WorkloadPath.WORKLOAD_PATH_HOST_BOOTED]: 'booted',
  [WorkloadPath.WORKLOAD_PATH_VFIO]: 'vfio',
  [WorkloadPath.WORKLOAD_PATH_EMULATED]: 'emulated',
  [WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU]: 'viommu',
  [WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU_BOUNCE]: 'viommu-bounce',
  [WorkloadPath.WORKLOAD_PATH_VFIO_VIOMMU_LAZY]: 'viommu-lazy',
};

/** The one translation of host-model errors to agent errors. */
function agentError(e: unknown): unknown {
  if (!isHostError(e)) return e;
  const code = { UNKNOWN_DEVICE: 'NOT_FOUND', VFIO: 'FAILED_PRECONDITION', PLUGIN: 'INVALID_ARGUMENT' } as const;
  return new AgentError(code[e.code as keyof typeof code] ?? 'FAILED_PRECONDITION', e.message.split('\n')[0]!);
}

/** What an inventory says of a host that attaches do not change, per host model (heartbeats read it every second). */
const STATIC = new WeakMap<Host, Omit<HostInventory, 'hostId'>>();

function staticInventory(h: Host, desc: HostDescription): Omit<HostInventory, 'hostId'> {
  let inv = STATIC.get(h);
  if (inv) return inv;
  const view = hostInventory(h);
  inv = {
    iommuMode: PROTO_MODE[view.iommuMode],
    cpuVendor: desc.cpu.vendor,
    numaNodes: view.numaNodes.map(({ memoryMiB, ...n }) => ({ ...n, memoryMib: BigInt(memoryMiB) })),
    devices: view.devices.map(
      (d): Device => ({
        ...d,
        physfn: d.physfn ?? '',
        hasVfs: !!d.hasVfs,
        hostBound: !!d.hostBound,
        plugin: d.plugin ?? '',
        ownerVmId: '',
      }),
    ),
  };
  STATIC.set(h, inv);
  return inv;
}

export class ModelBackend implements HostBackend {
  private readonly owner = new Map<string, string>();
  private readonly vms = new Map<string, Vm>();
  private readonly listeners = new Set<(e: WatchEventsResponse) => void>();
  private readonly counters = { attaches: 0, detaches: 0, attachFailures: 0, workloads: 0, deviceFaults: 0 };

  private booted?: Host;

  constructor(
    readonly hostId: string,
    /** The host model, or how to boot it: then it boots on first use (an attach, a workload). */
    private readonly model: Host | (() => Host),
    private readonly desc: HostDescription,
    private readonly plugins: PluginRegistry,
    private readonly file: string,
    /** Prometheus metrics of the agent process, when it serves them. */
    private readonly metrics?: IofleetMetrics,
    /**
     * A host booted from the same description, for what does not change from copy to copy (the
     * inventory's devices and groups, the boot log): an agent serving many copies of a template
     * boots each only when a VM or a workload first needs it.
     */
    private readonly shape?: Host,
  ) {}

  /** The host model (booted now if it was not yet). */
  get host(): Host {
    this.booted ??= typeof this.model === 'function' ? this.model() : this.model;
    return this.booted;
  }

  /** Whether the model is booted (a lazily booted copy is not until first used). */
  get isBooted(): boolean {
    return this.booted !== undefined;
  }

  /** The model, or its shape while it is not booted: for what every copy has alike. */
  private get alike(): Host {
    return this.booted ?? this.shape ?? this.host;
  }

  private emit(event: WatchEventsResponse['event']): void {
    const e: WatchEventsResponse = { hostId: this.hostId, time: new Date(), event };
    for (const l of this.listeners) l(e);
  }

  private device(id: string): HostDevice {
    try {
      return this.host.device(id);
    } catch (e) {
      throw agentError(e);
    }
  }

  inventory(): HostInventory {
    const { devices, ...rest } = staticInventory(this.alike, this.desc);
    return {
      hostId: this.hostId,
      ...rest,
      devices: devices.map((d) => ({ ...d, ownerVmId: this.owner.get(d.id) ?? '' })),
    };
  }

  attach(vmId: string, deviceIds: readonly string[], guestMemoryMiB: number): AttachOutcome {
    const t0 = performance.now();
    try {
      const r = this.attachGroups(vmId, deviceIds, guestMemoryMiB);
      this.metrics?.attaches.inc({ result: 'ok' });
      return r;
    } catch (e) {
      this.metrics?.attaches.inc({ result: 'refused' });
      throw e;
    } finally {
      this.metrics?.attachSeconds.observe({ role: 'agent' }, (performance.now() - t0) / 1000);
    }
  }

  private attachGroups(vmId: string, deviceIds: readonly string[], guestMemoryMiB: number): AttachOutcome {
    const devs = deviceIds.map((id) => this.device(id));
    for (const d of devs) {
      if (!isPciEndpoint(d))
        throw new AgentError('INVALID_ARGUMENT', `${fullName(d.fn)} is a ${d.fn.kind}, not a device a VM can use`);
      if (!d.group)
        throw new AgentError(
          'FAILED_PRECONDITION',
          `${fullName(d.fn)} has no IOMMU group (the IOMMU is off or does not cover it)`,
        );
    }
    const groups = [...new Set(devs.map((d) => d.group!))];
    const members = groups.flatMap((g) => g.functions.map((f) => this.host.device(fullName(f))).filter(isPciEndpoint));
    const ids = members.map((d) => fullName(d.fn));
    for (const id of ids) {
      const o = this.owner.get(id);
      if (o && o !== vmId) {
        this.counters.attachFailures++;
        throw new AgentError('FAILED_PRECONDITION', `${id} is assigned to vm ${o}`);
      }
    }
    const fresh = members.filter((d) => !d.fn.desc.hostBound && this.owner.get(fullName(d.fn)) !== vmId);
    if (fresh.length) {
      let vm = this.vms.get(vmId);
      const created = !vm;
      vm ??= new Vm(this.host, {
        name: vmId,
        memoryMiB: Math.max(2, Math.min(MODEL_GUEST_MIB, guestMemoryMiB || MODEL_GUEST_MIB)),
      });
      try {
        // The host side of the attach: VFIO group binding and the UNMANAGED domain (a span of its own).
        const span = TRACER.startSpan(SPAN_DOMAIN_ATTACH, {
          attributes: { [ATTR_VM_ID]: vmId, [ATTR_HOST]: this.hostId },
        });
        try {
          vm.assign(fresh.map((d) => fullName(d.fn)));
        } finally {
          span.end();
        }
      } catch (e) {
        this.counters.attachFailures++;
        if (created) vm.release();
        throw agentError(e);
      }
      this.vms.set(vmId, vm);
      for (const d of fresh) this.owner.set(fullName(d.fn), vmId);
      this.counters.attaches++;
      this.emit({ $case: 'attach', value: { vmId, deviceIds: fresh.map((d) => fullName(d.fn)), attached: true } });
    }
    return { attachedDeviceIds: ids.filter((id) => this.owner.get(id) === vmId), iommuGroups: groups.map((g) => g.id) };
  }

  detach(vmId: string): string[] {
    const vm = this.vms.get(vmId);
    if (!vm) return [];
    const freed = vm.release().map((d) => fullName(d.fn));
    this.vms.delete(vmId);
    for (const id of freed) this.owner.delete(id);
    this.counters.detaches++;
    this.emit({ $case: 'attach', value: { vmId, deviceIds: freed, attached: false } });
    return freed;
  }

  async runWorkload(req: RunWorkloadRequest, signal: AbortSignal): Promise<WorkloadResult> {
    const mode = PATH_MODE[req.path] ?? MODE_OF[req.mode];
    if (!mode) throw new AgentError('INVALID_ARGUMENT', `mode ${req.mode} is not a host IOMMU mode`);
    if (req.durationNs > MAX_WORKLOAD_NS)
      throw new AgentError(
        'INVALID_ARGUMENT',
        `duration_ns ${req.durationNs} exceeds ${MAX_WORKLOAD_NS} (1 s simulated)`,
      );
    if (req.deviceId) this.device(req.deviceId);
    if (signal.aborted) throw new AgentError('DEADLINE_EXCEEDED', 'cancelled before the workload started');
    let row: ReturnType<typeof runHostWorkload>[number];
    try {
      [row] = runHostWorkload(this.desc, {
        file: this.file,
        workload: { plugin: req.plugin, options: { ...req.options } },
        modes: [mode],
        plugins: this.plugins,
        durationMs: Number(req.durationNs) / 1e6,
        ...(req.deviceId && { device: req.deviceId }),
      }) as [typeof row];
    } catch (e) {
      throw agentError(e);
    }
    this.counters.workloads++;
    for (const q of row.latencyQuantilesNs)
      this.metrics?.dmaLatencySeconds.observe({ mode, plugin: req.plugin }, q / 1e9);
    if (row.pluginFault) {
      this.counters.deviceFaults++;
      this.emit({ $case: 'fault', value: { deviceId: row.device, reason: 0, address: 0n, logLine: row.pluginFault } });
    }
    const result: WorkloadResult = {
      mode: req.mode,
      iops: row.iops,
      gbps: row.gbps,
      latencyP50Ns: row.latencyP50Ns,
      latencyP99Ns: row.latencyP99Ns,
      cpuNsPerIo: row.cpuNsPerIo,
      iotlbHitRate: row.iotlbHitRate,
      faults: BigInt(row.faults),
      pageTableBytes: BigInt(row.pageTableBytes),
    };
    this.emit({ $case: 'workload', value: result });
    return result;
  }

  stats(): Record<string, number> {
    return { ...this.counters, vms: this.vms.size, assignedDevices: this.owner.size, groups: this.alike.groups.length };
  }

  onEvent(listener: (e: WatchEventsResponse) => void): () => void {
    if (this.listeners.size >= MAX_EVENT_LISTENERS) throw new AgentError('UNAVAILABLE', 'too many event watchers');
    this.listeners.add(listener);
    // A new watcher first hears how the host booted.
    for (const line of this.alike.bootLog)
      listener({ hostId: this.hostId, time: new Date(), event: { $case: 'bootLogLine', value: line } });
    return () => this.listeners.delete(listener);
  }
}
