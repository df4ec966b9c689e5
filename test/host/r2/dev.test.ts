// End-to-end: a Workers project with an R2 bucket under a real `cairn dev`. Its Worker puts
// request bodies with the request's headers as HTTP metadata and streams objects back with
// writeHttpMetadata, Range (206) and If-None-Match (304); bad input reaches the Worker as
// Cloudflare's error; the objects live in .cairn/r2/<preview bucket>/ and survive kill -9.
// Under `cairn start` the bucket itself (not the preview one) is used, in the data folder; a bad
// r2_buckets entry stops start-up.

import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../helpers/projects.js";

afterAll(async () => {
  await CairnProcess.killAll();
  removeProjects();
});

const md5 = (data: string | Uint8Array) => createHash("md5").update(data).digest("hex");

describe("an R2 bucket under cairn dev", () => {
  const dir = copyFixture("r2-project");
  let cairn: CairnProcess;
  let url: string;
  const text = "hello range world";

  it("stores a request body with its headers and streams it back", { timeout: 60_000 }, async () => {
    cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await cairn.ready();
    const put = await fetch(`${url}/files/docs/readme.txt?owner=ann`, {
      method: "PUT",
      body: text,
      headers: { "content-type": "text/plain", "cache-control": "max-age=60", "content-language": "en" },
    });
    expect(await put.json()).toEqual({ key: "docs/readme.txt", size: text.length, etag: md5(text) });

    const get = await fetch(`${url}/files/docs/readme.txt`);
    expect(get.status).toBe(200);
    expect(await get.text()).toBe(text);
    expect(get.headers.get("content-type")).toBe("text/plain");
    expect(get.headers.get("cache-control")).toBe("max-age=60");
    expect(get.headers.get("content-language")).toBe("en");
    expect(get.headers.get("etag")).toBe(`"${md5(text)}"`);

    const meta = await (await fetch(`${url}/meta/docs/readme.txt`)).json();
    expect(meta).toMatchObject({
      key: "docs/readme.txt",
      size: text.length,
      customMetadata: { owner: "ann" },
      checksums: { md5: md5(text) },
      storageClass: "Standard",
    });
    expect(existsSync(join(dir, ".cairn", "r2", "files-preview", "index.sqlite"))).toBe(true);
  });

  it("answers a Range with 206 and a matching If-None-Match with 304", async () => {
    const ranged = await fetch(`${url}/files/docs/readme.txt`, { headers: { range: "bytes=6-10" } });
    expect(ranged.status).toBe(206);
    expect(await ranged.text()).toBe("range");
    expect(ranged.headers.get("content-range")).toBe(`bytes 6-10/${text.length}`);
    const suffix = await fetch(`${url}/files/docs/readme.txt`, { headers: { range: "bytes=-5" } });
    expect(await suffix.text()).toBe("world");
    const cached = await fetch(`${url}/files/docs/readme.txt`, {
      headers: { "if-none-match": `"${md5(text)}"` },
    });
    expect(cached.status).toBe(304);
    const stale = await fetch(`${url}/files/docs/readme.txt`, { headers: { "if-none-match": '"old"' } });
    expect(stale.status).toBe(200);
    expect(await stale.text()).toBe(text);
  });

  it("round-trips a large streamed body", { timeout: 60_000 }, async () => {
    const big = Buffer.alloc(3 * 1024 * 1024 + 5);
    for (let i = 0; i < big.length; i++) big[i] = (i * 31) % 251;
    const put = await fetch(`${url}/files/big.bin`, { method: "PUT", body: big });
    expect(await put.json()).toMatchObject({ size: big.length, etag: md5(big) });
    const get = await fetch(`${url}/files/big.bin`);
    expect(md5(new Uint8Array(await get.arrayBuffer()))).toBe(md5(big));
  });

  it("gives the Worker Cloudflare's errors for bad input", async () => {
    const longKey = "k".repeat(1025);
    const bad = await fetch(`${url}/files/${longKey}`, { method: "PUT", body: "x" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({
      name: "R2Error",
      message: "put: The specified object name is not valid. (10020)",
    });
    const unsatisfiable = await fetch(`${url}/files/docs/readme.txt`, {
      headers: { range: "bytes=100-200" },
    });
    expect(await unsatisfiable.json()).toEqual({
      name: "R2Error",
      message: "get: The requested range is not satisfiable (10039)",
    });
  });

  it("keeps the objects across kill -9 and a restart", { timeout: 60_000 }, async () => {
    expect(await cairn.kill("SIGKILL")).toMatchObject({ signal: "SIGKILL" });
    cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    url = await cairn.ready();
    const get = await fetch(`${url}/files/docs/readme.txt`);
    expect(await get.text()).toBe(text);
    expect(get.headers.get("content-type")).toBe("text/plain");
    expect(await (await fetch(`${url}/list?prefix=docs/`)).json()).toEqual([
      { key: "docs/readme.txt", owner: "ann" },
    ]);
    expect((await fetch(`${url}/files/docs/readme.txt`, { method: "DELETE" })).status).toBe(204);
    expect((await fetch(`${url}/files/docs/readme.txt`)).status).toBe(404);
  });
});

describe("an R2 bucket under cairn start", () => {
  it("keeps objects in <state>/r2/<bucket_name>/", { timeout: 60_000 }, async () => {
    const dir = copyFixture("r2-project");
    const dataDir = mkdtempSync(join(tmpdir(), "cairn-r2-state-"));
    try {
      const cairn = CairnProcess.start(
        ["start", "--port", "0", "--admin-port", "0", "--state", dataDir],
        dir,
      );
      const url = await cairn.ready();
      await fetch(`${url}/files/a.txt`, { method: "PUT", body: "from start" });
      expect(await (await fetch(`${url}/files/a.txt`)).text()).toBe("from start");
      expect(existsSync(join(dataDir, "r2", "files", "index.sqlite"))).toBe(true);
      expect(existsSync(join(dataDir, "r2", "files-preview"))).toBe(false);
      await cairn.kill("SIGKILL");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("refuses a bad r2_buckets entry at start-up, naming it", { timeout: 60_000 }, async () => {
    const dir = copyFixture("r2-project");
    const config = join(dir, "wrangler.jsonc");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace('"bucket_name": "files"', '"bucket_name": "../files"'),
    );
    const cairn = CairnProcess.start(["dev", "--port", "0"], dir);
    const exit = await cairn.exited;
    expect(exit.code).not.toBe(0);
    expect(cairn.stderr).toContain('r2_buckets[0].bucket_name is "../files"');
  });
});
