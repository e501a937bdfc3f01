// SPDX-License-Identifier: Apache-2.0
// The AMD-Vi event log (spec §2.5; facts sheet §2.5-2.6): 16-byte events in a ring in memory
// (Linux: 8 KiB = 512 entries), and the lines Linux's iommu_print_event() prints for them.

import { formatSbdf } from '../addresses';

/** Event codes (spec §2.5; Linux EVENT_TYPE_*, QEMU AMDVI_EVENT_*); the model raises ILL_DEV, IO_FAULT and ILL_CMD. */
export const AMD_EVENT = {
  ILL_DEV: 0x1,
  IO_FAULT: 0x2,
  DEV_TAB_ERR: 0x3,
  PAGE_TAB_ERR: 0x4,
  ILL_CMD: 0x5,
  INV_DEV_REQ: 0x8,
} as const;

/**
 * IO_PAGE_FAULT and ILLEGAL_DEV_TABLE_ENTRY flags (event[1] bits 27:16). Linux names I and RW; the
 * rest are the AMD spec's, as the facts sheet lists them (§2.5).
 */
export const AMD_EVENT_FLAG = {
  GN: 0x001,
  NX: 0x002,
  US: 0x004,
  /** An interrupt request rather than a memory access. */
  I: 0x008,
  /** The page was present: a permission fault. */
  PR: 0x010,
  /** A write. */
  RW: 0x020,
  PE: 0x040,
  /** A reserved bit was set. */
  RZ: 0x080,
  /** A translation request (ATS). */
  TR: 0x100,
} as const;

export interface AmdEvent {
  code: number;
  deviceId: number;
  domainId: number;
  address: number;
  flags: number;
  /** PASID (ILLEGAL_DEV_TABLE_ENTRY and others print it); 0 when absent. */
  pasid?: number;
}

/** Linux's event entries per 8 KiB log. */
export const EVENT_LOG_ENTRIES = 512;

const hex4 = (n: number) => n.toString(16).padStart(4, '0');
const hex5 = (n: number) => n.toString(16).padStart(5, '0');

/**
 * How a line names the device, as amd_iommu_report_page_fault() chooses: a device the kernel
 * probed (it has dev_data) is named by dev_printk — `<driver> <ssss:bb:dd.f>: ` with the bound
 * driver's name, or the bus name "pci" without one — and the line omits device=; any other
 * requester id is printed inside the brackets as device=ssss:bb:dd.f.
 */
export interface EventDevice {
  /** dev_driver_string(): the bound driver's name, or "pci" for a probed device without one. */
  driver?: string;
  /** The IOMMU's own sysfs device name for iommu_print_event()'s dev_err() lines (default ivhd0). */
  iommu?: string;
}

/**
 * The line Linux prints for an event — mainline's format, drivers/iommu/amd/iommu.c
 * amd_iommu_report_page_fault() and iommu_print_event() since the PCI segment was added to the
 * device form (v6.0): addresses as 0x%llx without padding (v4.19-v5.x printed 0x%016llx),
 * device=%04x:%02x:%02x.%x with the segment (older kernels: %02x:%02x.%x). pr_fmt/dev_fmt add
 * "AMD-Vi: ". Events other than IO_PAGE_FAULT are dev_err() on the IOMMU's own device, class
 * "iommu", named ivhd<index>. ILLEGAL_DEV_TABLE_ENTRY is followed in Linux by "Control Reg" and a
 * DTE dump, which the model does not print.
 */
export function amdEventLine(e: AmdEvent, segment: number, dev: EventDevice = {}): string {
  const sbdf = formatSbdf(segment, e.deviceId as never);
  const addr = `0x${e.address.toString(16)}`;
  const iommuDev = `iommu ${dev.iommu ?? 'ivhd0'}: AMD-Vi: `;
  switch (e.code) {
    case AMD_EVENT.IO_FAULT: {
      const body = `domain=0x${hex4(e.domainId)} address=${addr} flags=0x${hex4(e.flags)}`;
      return dev.driver !== undefined
        ? `${dev.driver} ${sbdf}: AMD-Vi: Event logged [IO_PAGE_FAULT ${body}]`
        : `AMD-Vi: Event logged [IO_PAGE_FAULT device=${sbdf} ${body}]`;
    }
    case AMD_EVENT.ILL_DEV:
      return `${iommuDev}Event logged [ILLEGAL_DEV_TABLE_ENTRY device=${sbdf} pasid=0x${hex5(e.pasid ?? 0)} address=${addr} flags=0x${hex4(e.flags)}]`;
    case AMD_EVENT.ILL_CMD:
      return `${iommuDev}Event logged [ILLEGAL_COMMAND_ERROR address=${addr}]`;
    default:
      return `${iommuDev}Event logged [UNKNOWN event[0]=0x${e.code.toString(16)}]`;
  }
}

/** The ring: the unit appends at the tail; software reads from the head. Overflow sets a flag. */
export class EventLog {
  readonly events: AmdEvent[] = [];
  overflow = false;
  logged = 0;

  append(e: AmdEvent): boolean {
    if (this.events.length >= EVENT_LOG_ENTRIES - 1) {
      this.overflow = true;
      return false;
    }
    this.events.push(e);
    this.logged++;
    return true;
  }

  /**
   * What Linux's iommu_poll_events() consumes (and prints, rate limits aside). `driverOf` names
   * the driver of each probed device (undefined: not probed, printed with device=).
   */
  drain(segment: number, driverOf?: (deviceId: number) => string | undefined, iommu?: string): string[] {
    const lines = this.events.map((e) => amdEventLine(e, segment, { driver: driverOf?.(e.deviceId), iommu }));
    this.events.length = 0;
    this.overflow = false;
    return lines;
  }
}
