// SPDX-License-Identifier: Apache-2.0
export { GPU_MAX_QUEUE_DEPTH, GPU_PACKET_BYTES, type GpuOptions, gpuPlugin, parseGpuOptions } from './gpu';
