// The R2 part of a Workers project: one R2Bucket binding per `r2_buckets` entry, each stored in
// `<stateDir>/r2/<bucket>/`. Bindings to the same bucket share its files.

import { join } from "node:path";
import type { ProviderFactory } from "../project-bindings.js";
import { R2Bucket } from "./bucket.js";
import { BucketStore } from "./bucket-store.js";
import { bucketFolderName, readR2Buckets } from "./config.js";

/** The compatibility date from which `list()` honours `include` (before it, both are always sent). */
const LIST_INCLUDE_DATE = "2022-08-04";

/** Makes the R2 bucket bindings, or null when the config declares none. */
export const r2Provider: ProviderFactory = async (context) => {
  const buckets = readR2Buckets(context.config.raw, context.config.path);
  if (buckets.length === 0) return null;
  const { date, flags } = context.config.compatibility;
  const honoursInclude =
    flags.includes("r2_list_honor_include") || (date !== undefined && date >= LIST_INCLUDE_DATE);
  const stores: BucketStore[] = [];
  const bindings: Record<string, R2Bucket> = {};
  try {
    for (const bucket of buckets) {
      const dir = join(context.stateDir, "r2", bucketFolderName(bucket, context.mode));
      const store = await BucketStore.open(dir);
      stores.push(store);
      bindings[bucket.binding] = new R2Bucket(store, honoursInclude);
      context.log.debug({ binding: bucket.binding, dir }, "R2 bucket opened");
      if (store.leftoversRemoved > 0) {
        context.log.info(
          { binding: bucket.binding, dir, files: store.leftoversRemoved },
          "R2 bucket: removed files an interrupted write left behind",
        );
      }
    }
  } catch (error) {
    for (const store of stores) store.release();
    throw error;
  }
  return {
    bindings,
    async close() {
      for (const store of stores) store.release();
    },
  };
};
