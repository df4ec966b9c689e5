// Reads and checks the `r2_buckets` section of a wrangler config: each entry binds a bucket
// (by `bucket_name`, or `preview_bucket_name` under `cairn dev`) to a name in `env`. Bucket names
// become folder names under the state folder, so they must be valid R2 bucket names.

import { HostError } from "../host-error.js";

export type R2BucketConfig = {
  binding: string;
  bucketName: string;
  previewBucketName: string | undefined;
  jurisdiction: string | undefined;
};

/** R2's rule for bucket names: 3–63 of a–z, 0–9 and "-", starting and ending with a letter or digit. */
const BUCKET_NAME = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
const JURISDICTIONS = ["eu", "fedramp"];

function invalid(path: string, message: string): HostError {
  return new HostError("config.invalid", `${path}: ${message}`);
}

function optionalName(
  entry: Record<string, unknown>,
  field: string,
  at: string,
  path: string,
): string | undefined {
  const value = entry[field];
  if (value === undefined) return undefined;
  if (typeof value !== "string" || !BUCKET_NAME.test(value)) {
    throw invalid(
      path,
      `${at}.${field} is ${JSON.stringify(value)}; an R2 bucket name is 3 to 63 lowercase letters, digits and hyphens, starting and ending with a letter or digit`,
    );
  }
  return value;
}

/** The `r2_buckets` entries of `raw` (the config with the environment applied), checked. */
export function readR2Buckets(raw: Record<string, unknown>, path: string): R2BucketConfig[] {
  const section = raw.r2_buckets;
  if (section === undefined || section === null) return [];
  if (!Array.isArray(section)) throw invalid(path, "r2_buckets must be a list of { binding, bucket_name }");
  const seen = new Set<string>();
  return section.map((entry: unknown, index) => {
    const at = `r2_buckets[${index}]`;
    if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
      throw invalid(path, `${at} must be an object with binding and bucket_name`);
    }
    const fields = entry as Record<string, unknown>;
    const binding = fields.binding;
    if (typeof binding !== "string" || !/^[A-Za-z_$][\w$]*$/.test(binding)) {
      throw invalid(path, `${at}.binding is ${JSON.stringify(binding)}; it must be a JavaScript identifier`);
    }
    if (seen.has(binding)) throw invalid(path, `two r2_buckets entries have the binding "${binding}"`);
    seen.add(binding);
    const bucketName = optionalName(fields, "bucket_name", at, path);
    if (bucketName === undefined) throw invalid(path, `${at} (${binding}) needs a bucket_name`);
    const jurisdiction = fields.jurisdiction;
    if (
      jurisdiction !== undefined &&
      (typeof jurisdiction !== "string" || !JURISDICTIONS.includes(jurisdiction))
    ) {
      throw invalid(
        path,
        `${at}.jurisdiction is ${JSON.stringify(jurisdiction)}; it must be one of ${JURISDICTIONS.join(", ")}`,
      );
    }
    return {
      binding,
      bucketName,
      previewBucketName: optionalName(fields, "preview_bucket_name", at, path),
      jurisdiction,
    };
  });
}

/**
 * The bucket's folder name under `<stateDir>/r2/`: the bucket name (the preview one in dev), with
 * ".<jurisdiction>" appended for a jurisdiction bucket, since on Cloudflare those are separate
 * buckets. A dot cannot appear in a bucket name, so no two buckets share a folder.
 */
export function bucketFolderName(bucket: R2BucketConfig, mode: "dev" | "start"): string {
  const name = mode === "dev" ? (bucket.previewBucketName ?? bucket.bucketName) : bucket.bucketName;
  return bucket.jurisdiction ? `${name}.${bucket.jurisdiction}` : name;
}
