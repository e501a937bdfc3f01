// SPDX-License-Identifier: Apache-2.0

export { makeTestCerts, type TestCerts } from './test-certs';
export { ToyBackend } from './toy-backend';
