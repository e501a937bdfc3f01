// SPDX-License-Identifier: Apache-2.0
// Simulated time, CPUs and lock contention (named exports; the lead wires them into src/index.ts).

export { MAX_PENDING_TIMERS, SimClock, type TimerCallback } from './sim-clock';
export { MAX_SIM_CPUS, SimCpu, SimCpuSet } from './sim-cpu';
export { SimLock } from './sim-lock';
