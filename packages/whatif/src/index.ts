// SPDX-License-Identifier: Apache-2.0
export {
  parseTraceNodes,
  parseTracePods,
  TraceFormatError,
  type TraceNode,
  type TracePod,
} from './trace/alibaba-gpu';
