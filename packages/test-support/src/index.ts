// @framewire/test-support: helpers shared by the packages' tests.
export { ManualScheduler } from "./manual-scheduler.js";
