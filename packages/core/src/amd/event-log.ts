// SPDX-License-Identifier: Apache-2.0
// The AMD-Vi event log (spec §2.5; facts sheet §2.5-2.6): 16-byte events in a ring in memory
// (Linux: 8 KiB = 512 entries), and the lines Linux's amd_iommu_print_event() prints for them.

import { formatSbdf } from '../addresses';

export const EVENT_TYPE_ILL_DEV = 0x1;
export const EVENT_TYPE_IO_FAULT = 0x2;
export const EVENT_TYPE_DEV_TAB_ERR = 0x3;
export const EVENT_TYPE_PAGE_TAB_ERR = 0x4;
export const EVENT_TYPE_ILL_CMD = 0x5;
export const EVENT_TYPE_INV_DEV_REQ = 0x8;

/** IO_PAGE_FAULT flags (12 bits): GN, NX, US, I, PR, RW, PE, RZ, TR. */
export const EVENT_FLAG_GN = 0x001;
export const EVENT_FLAG_NX = 0x002;
export const EVENT_FLAG_US = 0x004;
export const EVENT_FLAG_I = 0x008;
export const EVENT_FLAG_PR = 0x010;
export const EVENT_FLAG_RW = 0x020;
export const EVENT_FLAG_PE = 0x040;
export const EVENT_FLAG_RZ = 0x080;
export const EVENT_FLAG_TR = 0x100;

export interface AmdEvent {
  code: number;
  deviceId: number;
  domainId: number;
  address: number;
  flags: number;
}

/** Linux's event entries per 8 KiB log. */
export const EVENT_LOG_ENTRIES = 512;

const hex4 = (n: number) => n.toString(16).padStart(4, '0');

/**
 * The line Linux prints for an event. `driver` names the device's bound driver when the kernel
 * knows the device (dev_data exists): `<driver> <ssss:bb:dd.f>: AMD-Vi: Event logged [...]`.
 */
export function amdEventLine(e: AmdEvent, segment: number, driver?: string): string {
  const dev = formatSbdf(segment, e.deviceId as never);
  if (e.code === EVENT_TYPE_IO_FAULT) {
    const body = `domain=0x${hex4(e.domainId)} address=0x${e.address.toString(16).padStart(16, '0')} flags=0x${hex4(e.flags)}`;
    return driver
      ? `${driver} ${dev}: AMD-Vi: Event logged [IO_PAGE_FAULT ${body}]`
      : `AMD-Vi: Event logged [IO_PAGE_FAULT device=${dev} ${body}]`;
  }
  if (e.code === EVENT_TYPE_ILL_DEV) {
    return `AMD-Vi: Event logged [ILLEGAL_DEV_TABLE_ENTRY device=${dev} pasid=0x00000 address=0x${e.address.toString(16).padStart(16, '0')} flags=0x${hex4(e.flags)}]`;
  }
  return `AMD-Vi: Event logged [UNKNOWN event[0]=0x${e.code.toString(16)}]`;
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

  /** What Linux's iommu_poll_events() consumes (and prints, rate limits aside). */
  drain(segment: number, driverOf?: (deviceId: number) => string | undefined): string[] {
    const lines = this.events.map((e) => amdEventLine(e, segment, driverOf?.(e.deviceId)));
    this.events.length = 0;
    this.overflow = false;
    return lines;
  }
}
