// The storage conformance suite: every Store adapter calls `describeStorage` from its own test
// file and must pass the same cases, so the engine relies on the contract, not on one adapter.
// Each case gets a fresh store from `open` and is written against src/storage/types.ts only. An
// adapter that cannot do something skips the named cases with a reason; the suite checks the names.

import { describe, expect, it } from "vitest";
import type { Store } from "../../src/storage/types.js";
import { affinityCases } from "./cases/affinity.js";
import { claimCases } from "./cases/claims-and-leases.js";
import { controlCases } from "./cases/control.js";
import { eventCases } from "./cases/events.js";
import { healthCases } from "./cases/health.js";
import { instanceCases } from "./cases/instances.js";
import { journalCases } from "./cases/journal.js";
import { listingCases } from "./cases/listing.js";
import { listingFilterCases } from "./cases/listing-filters.js";
import { retentionCases } from "./cases/retention.js";
import type { StoreCase } from "./cases/support.js";
import { traceContextCases } from "./cases/trace-context.js";
import { workersApiCases } from "./cases/workers-api.js";

export type OpenStore = () => Promise<{ store: Store; cleanup: () => Promise<void> }>;

export type StorageSuiteOptions = {
  /** Cases this adapter does not run, named "<group> > <case>" or by the case name alone. */
  skip?: { reason: string; tests: string[] }[];
};

const groups: [string, (test: StoreCase) => void][] = [
  ["instances", instanceCases],
  ["claims and leases", claimCases],
  ["journal", journalCases],
  ["events", eventCases],
  ["control", controlCases],
  ["listing", listingCases],
  ["listing filters", listingFilterCases],
  ["retention", retentionCases],
  ["workers api", workersApiCases],
  ["affinity", affinityCases],
  ["health", healthCases],
  ["trace context", traceContextCases],
];

/**
 * Declares the conformance cases for one adapter.
 * @example
 * describeStorage("sqlite", async () => {
 *   const store = await SqliteStore.open({ path });
 *   return { store, cleanup: () => store.close() };
 * });
 */
export function describeStorage(name: string, open: OpenStore, options: StorageSuiteOptions = {}): void {
  const reasons = new Map<string, string>();
  for (const entry of options.skip ?? []) for (const test of entry.tests) reasons.set(test, entry.reason);
  const declared = new Set<string>();

  describe(`storage conformance: ${name}`, () => {
    for (const [group, define] of groups) {
      describe(group, () => {
        define((caseName, body) => {
          const full = `${group} > ${caseName}`;
          if (declared.has(full)) throw new Error(`conformance case declared twice: ${full}`);
          declared.add(full);
          declared.add(caseName);
          const reason = reasons.get(full) ?? reasons.get(caseName);
          if (reason !== undefined) {
            it.skip(`${caseName} (skipped: ${reason})`, () => {});
            return;
          }
          it(caseName, async () => {
            const { store, cleanup } = await open();
            try {
              await body(store);
            } finally {
              await cleanup();
            }
          });
        });
      });
    }

    it("skips only cases that exist", () => {
      expect([...reasons.keys()].filter((test) => !declared.has(test))).toEqual([]);
    });
  });
}
