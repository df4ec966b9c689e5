// `cairn/testing`: helpers for tests of workflows and of Cairn itself. Runner-agnostic.

export { FakeClock } from "../engine/clock.js";
export { type WaitOptions, waitForStatus, waitUntil } from "./wait.js";
