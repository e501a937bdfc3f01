// SPDX-License-Identifier: Apache-2.0
export { type CoreBenchResult, runCoreBench } from './core-bench';
