// The r2_buckets section: valid entries are read (preview bucket, jurisdiction), bad ones stop
// start-up naming the entry and the rule, and each bucket gets its own folder name.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadProjectConfig } from "../config.js";
import { HostError } from "../host-error.js";
import { bucketFolderName, readR2Buckets } from "./config.js";

const PATH = "/p/wrangler.jsonc";

describe("readR2Buckets", () => {
  it("reads bindings, bucket names, preview names and jurisdictions", () => {
    expect(readR2Buckets({}, PATH)).toEqual([]);
    expect(
      readR2Buckets(
        {
          r2_buckets: [
            { binding: "FILES", bucket_name: "files", preview_bucket_name: "files-dev" },
            { binding: "EU", bucket_name: "files", jurisdiction: "eu" },
          ],
        },
        PATH,
      ),
    ).toEqual([
      { binding: "FILES", bucketName: "files", previewBucketName: "files-dev", jurisdiction: undefined },
      { binding: "EU", bucketName: "files", previewBucketName: undefined, jurisdiction: "eu" },
    ]);
  });

  it("refuses bad entries, naming the entry and the rule", () => {
    const cases: [unknown, string][] = [
      ["files", "r2_buckets must be a list"],
      [["FILES"], "r2_buckets[0] must be an object"],
      [[{ bucket_name: "files" }], "r2_buckets[0].binding is undefined; it must be a JavaScript identifier"],
      [[{ binding: "A" }], "r2_buckets[0] (A) needs a bucket_name"],
      [
        [{ binding: "A", bucket_name: "../escape" }],
        'r2_buckets[0].bucket_name is "../escape"; an R2 bucket name is 3 to 63',
      ],
      [[{ binding: "A", bucket_name: "Files" }], 'bucket_name is "Files"'],
      [[{ binding: "A", bucket_name: "ok-name", preview_bucket_name: "x" }], 'preview_bucket_name is "x"'],
      [
        [{ binding: "A", bucket_name: "files", jurisdiction: "mars" }],
        'jurisdiction is "mars"; it must be one of eu, fedramp',
      ],
      [
        [
          { binding: "A", bucket_name: "one" },
          { binding: "A", bucket_name: "two" },
        ],
        'two r2_buckets entries have the binding "A"',
      ],
    ];
    for (const [section, message] of cases) {
      let error: unknown;
      try {
        readR2Buckets({ r2_buckets: section }, PATH);
      } catch (caught) {
        error = caught;
      }
      expect(error, JSON.stringify(section)).toBeInstanceOf(HostError);
      expect((error as HostError).code).toBe("config.invalid");
      expect((error as HostError).message).toContain(`${PATH}: `);
      expect((error as HostError).message).toContain(message);
    }
  });
});

describe("bucketFolderName", () => {
  const bucket = {
    binding: "B",
    bucketName: "files",
    previewBucketName: "files-dev",
    jurisdiction: undefined,
  };

  it("uses the preview bucket under cairn dev and the bucket itself under cairn start", () => {
    expect(bucketFolderName(bucket, "dev")).toBe("files-dev");
    expect(bucketFolderName(bucket, "start")).toBe("files");
    expect(bucketFolderName({ ...bucket, previewBucketName: undefined }, "dev")).toBe("files");
  });

  it("keeps a jurisdiction's bucket apart from the default one of the same name", () => {
    expect(bucketFolderName({ ...bucket, jurisdiction: "eu" }, "start")).toBe("files.eu");
  });
});

describe("r2_buckets and wrangler environments", () => {
  it("is not inherited: an environment has only the buckets of its own section", () => {
    const dir = mkdtempSync(join(tmpdir(), "cairn-r2-config-"));
    try {
      writeFileSync(join(dir, "index.js"), "export default {};\n");
      writeFileSync(
        join(dir, "wrangler.json"),
        JSON.stringify({
          main: "index.js",
          r2_buckets: [{ binding: "FILES", bucket_name: "files" }],
          env: { bare: {}, staging: { r2_buckets: [{ binding: "FILES", bucket_name: "files-staging" }] } },
        }),
      );
      const path = join(dir, "wrangler.json");
      const buckets = (env?: string) =>
        readR2Buckets(loadProjectConfig(path, env).raw, path).map((b) => b.bucketName);
      expect(buckets()).toEqual(["files"]);
      expect(buckets("bare")).toEqual([]);
      expect(buckets("staging")).toEqual(["files-staging"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
