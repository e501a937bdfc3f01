// SPDX-License-Identifier: Apache-2.0
// Bounds on what one run places, for memory (each host and VM request is an object): the hosts of
// one fleet entry of a scenario and of `iofleet bench placement|fleet --hosts`, and the VMs one
// scenario or bench may generate. The scenario schema and the CLI's flags both check them.

export const MAX_FLEET_HOSTS = 1_000_000;
export const MAX_VMS = 10_000_000;
