// SPDX-License-Identifier: Apache-2.0
export {
  NIC_ACK_BYTES,
  NIC_DESC_BYTES,
  NIC_FRAME_OVERHEAD,
  NIC_MAX_MTU,
  NIC_MAX_RING,
  NIC_MAX_VFS,
  NIC_RX_DESC_BYTES,
  type NicOptions,
  nicPlugin,
  parseNicOptions,
} from './nic';
