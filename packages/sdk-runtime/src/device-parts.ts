// SPDX-License-Identifier: Apache-2.0
// What the pieces of a device's context share: the simulation, the device, its observer, its
// accounting and timing, the memory it holds, its DMA spans and its path to memory.

import type { TranslationFault, TranslationOut } from '@iofleet/core/hardware';
import type { DmaSim } from '@iofleet/core/linux';
import type { DeviceInfo, DmaDirection } from '@iofleet/sdk';
import type { DeviceSideStats, DeviceTiming } from './device-timing';
import type { DmaTrace } from './dma-trace';
import type { OwnedMemory } from './owned-memory';

/** What a host (or the test environment) watches a device do. */
export interface DeviceObserver {
  onMap?(kind: 'single' | 'sg' | 'coherent', dmaAddr: number, length: number, dir: DmaDirection | 'coherent'): void;
  onUnmap?(kind: 'single' | 'sg' | 'coherent', dmaAddr: number, length: number): void;
  onAccess?(dmaAddr: number, length: number, write: boolean, ok: boolean): void;
  onFault?(fault: TranslationFault): void;
  onIrq?(vector: number): void;
  onEvent?(name: string, attributes: Record<string, string | number | boolean>): void;
  onLog?(level: 'info' | 'warn', line: string): void;
}

export interface DeviceParts {
  readonly sim: DmaSim;
  readonly info: DeviceInfo;
  readonly obs: DeviceObserver;
  readonly stats: DeviceSideStats;
  readonly timing: DeviceTiming;
  readonly owned: OwnedMemory;
  /** DMA spans (null: tracing off, one branch per call). */
  readonly trace: DmaTrace | null;
  /** The device's memory access at `address` through its IOMMU (or untranslated). */
  access(address: number, write: boolean): TranslationOut;
}
