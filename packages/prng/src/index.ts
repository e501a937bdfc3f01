// SPDX-License-Identifier: Apache-2.0
export { mulberry32, type Random } from './mulberry32';
