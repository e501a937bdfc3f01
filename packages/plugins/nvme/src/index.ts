// SPDX-License-Identifier: Apache-2.0
export { NVME_MAX_QUEUE_DEPTH, type NvmeOptions, nvmePlugin, parseNvmeOptions } from './nvme';
