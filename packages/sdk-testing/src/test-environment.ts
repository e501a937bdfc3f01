// SPDX-License-Identifier: Apache-2.0
// A deterministic environment a plugin author runs a device in (after Temporal's
// TestWorkflowEnvironment): one simulated machine with a real VT-d or AMD-Vi unit from
// @iofleet/core, the device attached in pass-through, strict or lazy (flush-queue) mode, and every
// DMA map, unmap, device access, IOMMU fault, interrupt and log line recorded for assertions.

import type { SimTracer } from '@iofleet/core';
import { getCostProfile } from '@iofleet/core/cost';
import { AmdViUnit, newTranslationOut, SmmuV3Unit, type TranslationFault, VtdUnit } from '@iofleet/core/hardware';
import {
  DirectDmaOps,
  type DmaOps,
  DmaSim,
  dmaDevice,
  IommuDmaCookie,
  IommuDmaOps,
  SwiotlbPool,
  unitAttachDevice,
  unitCreateDomain,
} from '@iofleet/core/linux';
import type { DeviceInfo, DeviceInstance, DevicePlugin, DmaDirection, RawOptions } from '@iofleet/sdk';
import { checkSdkRange } from '@iofleet/sdk';
import { DeviceRuntime, guard, type RunOptions, type RunResult, runWorkload } from '@iofleet/sdk-runtime';

export type TestMode = 'pt' | 'strict' | 'lazy';

export interface TestEnvironmentOptions {
  mode?: TestMode;
  /** The IOMMU the device sits behind: VT-d (default), AMD-Vi or an Arm SMMUv3 (StreamID = requester id). */
  vendor?: 'intel' | 'amd' | 'arm';
  options?: RawOptions;
  cpus?: number;
  /** Requester id of the device (bus << 8 | devfn). */
  requesterId?: number;
  /** Records the device's spans (translations, DMA calls), e.g. core's RecordingTracer. */
  tracer?: SimTracer;
}

export interface MapRecord {
  kind: 'single' | 'sg' | 'coherent';
  dmaAddr: number;
  length: number;
  dir: DmaDirection | 'coherent';
}

export interface AccessRecord {
  dmaAddr: number;
  length: number;
  write: boolean;
  ok: boolean;
  /** The range was mapped (by the DMA API) when the device touched it. */
  mapped: boolean;
}

/** Bound on recorded accesses and maps (older records are dropped, counts stay exact). */
export const MAX_RECORDS = 100_000;

export class TestEnvironment {
  readonly sim: DmaSim;
  readonly runtime: DeviceRuntime;
  readonly instance: DeviceInstance;
  readonly maps: MapRecord[] = [];
  readonly accesses: AccessRecord[] = [];
  readonly faults: TranslationFault[] = [];
  readonly irqs: number[] = [];
  readonly logs: string[] = [];
  /** Streaming and coherent mappings currently live, by DMA address. */
  readonly live = new Map<number, MapRecord>();
  unmappedAccesses = 0;
  private readonly label: string;

  constructor(
    readonly plugin: DevicePlugin,
    readonly opts: TestEnvironmentOptions = {},
  ) {
    checkSdkRange(plugin.name, plugin.sdk);
    const mode = opts.mode ?? 'strict';
    const rid = opts.requesterId ?? 0x0100;
    this.label = `plugin ${plugin.name} (${mode})`;
    const vendor = opts.vendor ?? 'intel';
    const profile = getCostProfile(
      vendor === 'amd' ? 'amd-epyc-milan' : vendor === 'arm' ? 'arm-neoverse-grace' : 'intel-icelake-sp',
    );
    this.sim = new DmaSim({ cpuCount: opts.cpus ?? 2, profile });
    const sim = this.sim;
    const unit =
      vendor === 'amd'
        ? new AmdViUnit({ mem: sim.mem })
        : vendor === 'arm'
          ? new SmmuV3Unit({ mem: sim.mem })
          : new VtdUnit({ mem: sim.mem });
    const dev = dmaDevice({ name: `0000:01:00.0 (${plugin.name})` });
    const swiotlb = new SwiotlbPool(sim.mem, { cpuCount: sim.cpus.count });
    let ops: DmaOps;
    if (mode === 'pt') {
      unitAttachDevice(unit, rid, 'passthrough');
      ops = new DirectDmaOps(sim, dev, swiotlb);
    } else {
      const domain = unitCreateDomain(unit, 'dma');
      unitAttachDevice(unit, rid, domain);
      ops = new IommuDmaOps(new IommuDmaCookie(sim, domain, { mode }), dev, { swiotlb });
    }
    const out = newTranslationOut();
    const info: DeviceInfo = { bdf: '0000:01:00.0', numaNode: 0, isVirtualFunction: false, translated: mode !== 'pt' };
    this.runtime = new DeviceRuntime({
      sim,
      ops,
      info,
      tracer: opts.tracer,
      access: (address, write) => {
        unit.translate({ sourceId: rid, segment: 0, address, write, pasid: -1 }, out);
        return out;
      },
      observer: {
        onMap: (kind, dmaAddr, length, dir) => {
          const r = { kind, dmaAddr, length, dir };
          this.live.set(dmaAddr, r);
          if (this.maps.length < MAX_RECORDS) this.maps.push(r);
        },
        onUnmap: (_kind, dmaAddr) => {
          this.live.delete(dmaAddr);
        },
        onAccess: (dmaAddr, length, write, ok) => {
          const mapped = this.isMapped(dmaAddr, length);
          if (!mapped) this.unmappedAccesses++;
          if (this.accesses.length < MAX_RECORDS) this.accesses.push({ dmaAddr, length, write, ok, mapped });
        },
        onFault: (f) => this.faults.push(f),
        onIrq: (v) => this.irqs.push(v),
        onLog: (_l, line) => this.logs.push(line),
      },
    });
    const options = guard(`${this.label}: parseOptions()`, () => plugin.parseOptions(opts.options ?? {}));
    this.instance = guard(`${this.label}: create()`, () => plugin.create(this.runtime.ctx, options));
  }

  private isMapped(a: number, len: number): boolean {
    for (const r of this.live.values()) if (a >= r.dmaAddr && a + len <= r.dmaAddr + r.length) return true;
    return false;
  }

  probe(): void {
    guard(`${this.label}: probe()`, () => this.instance.probe?.());
  }

  reset(): void {
    guard(`${this.label}: reset()`, () => this.instance.reset?.());
  }

  remove(): void {
    guard(`${this.label}: remove()`, () => this.instance.remove?.());
  }

  /** Runs the device's workload (start, I/Os, stop); default: up to 2,000 I/Os or 10 ms simulated. */
  run(o: Partial<RunOptions> = {}): RunResult {
    const w = this.instance.workload;
    if (!w) throw new Error(`${this.label}: the device has no workload hook`);
    guard(`${this.label}: workload start()`, () => w.start?.());
    const r = runWorkload(this.sim, this.runtime, w, this.label, { durationNs: 10e6, maxIos: 2000, ...o });
    guard(`${this.label}: workload stop()`, () => w.stop?.());
    return r;
  }
}
