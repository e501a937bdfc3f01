// SPDX-License-Identifier: Apache-2.0
export { ToyBackend } from './toy-backend';
