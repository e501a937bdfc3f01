// SPDX-License-Identifier: Apache-2.0
export {
  DEFAULT_IOTLB_GEOMETRY,
  type IotlbGeometry,
  type IotlbLike,
  type ReplacementPolicy,
} from './cache-types';
export { Iotlb } from './iotlb';
export { PagingStructureCache } from './paging-structure-cache';
