// Unit: how a path resolves under each html_handling and not_found_handling mode, against a real
// folder laid out as in Cloudflare's documentation (file.html, folder/index.html, 404 pages).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { AssetFiles } from "../../../src/host/assets/asset-files.js";
import type { HtmlHandling, NotFoundHandling } from "../../../src/host/assets/assets-config.js";
import { resolveAssetPath } from "../../../src/host/assets/html-handling.js";

const root = mkdtempSync(join(tmpdir(), "cairn-assets-html-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function folder(files: Record<string, string>): AssetFiles {
  const dir = mkdtempSync(join(root, "dist-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, name)), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return new AssetFiles(dir);
}

/** "200 <content>", "404 <content>", "307 <location>" or "miss". */
async function outcome(
  files: AssetFiles,
  path: string,
  html: HtmlHandling,
  notFound: NotFoundHandling = "none",
): Promise<string> {
  const found = await resolveAssetPath(path, { html, notFound }, (p) => files.find(p));
  if (!found) return "miss";
  if (found.kind === "redirect") return `307 ${found.to}`;
  const { readFileSync } = await import("node:fs");
  return `${found.status} ${readFileSync(found.file.path, "utf8")}`;
}

const site = () => folder({ "file.html": "file", "folder/index.html": "folder", "index.html": "home" });

const TABLES: Record<HtmlHandling, Record<string, string>> = {
  "auto-trailing-slash": {
    "/file": "200 file",
    "/file.html": "307 /file",
    "/file/": "307 /file",
    "/file/index": "307 /file",
    "/file/index.html": "307 /file",
    "/folder": "307 /folder/",
    "/folder.html": "307 /folder/",
    "/folder/": "200 folder",
    "/folder/index": "307 /folder/",
    "/folder/index.html": "307 /folder/",
    "/": "200 home",
    "/index.html": "307 /",
    "/index": "307 /",
  },
  "force-trailing-slash": {
    "/file": "307 /file/",
    "/file.html": "307 /file/",
    "/file/": "200 file",
    "/file/index": "307 /file/",
    "/file/index.html": "307 /file/",
    "/folder": "307 /folder/",
    "/folder.html": "307 /folder/",
    "/folder/": "200 folder",
    "/folder/index": "307 /folder/",
    "/folder/index.html": "307 /folder/",
    "/": "200 home",
    "/index.html": "307 /",
  },
  "drop-trailing-slash": {
    "/file": "200 file",
    "/file.html": "307 /file",
    "/file/": "307 /file",
    "/file/index": "307 /file",
    "/file/index.html": "307 /file",
    "/folder": "200 folder",
    "/folder.html": "307 /folder",
    "/folder/": "307 /folder",
    "/folder/index": "307 /folder",
    "/folder/index.html": "307 /folder",
    "/": "200 home",
    "/index.html": "307 /",
    "/index": "307 /",
  },
  none: {
    "/file": "miss",
    "/file.html": "200 file",
    "/file/": "miss",
    "/folder": "miss",
    "/folder/": "miss",
    "/folder/index.html": "200 folder",
    "/": "miss",
    "/index.html": "200 home",
  },
};

describe("html_handling", () => {
  const files = site();
  for (const [mode, table] of Object.entries(TABLES) as [HtmlHandling, Record<string, string>][]) {
    it(`${mode} serves and redirects as Cloudflare documents`, async () => {
      const seen: Record<string, string> = {};
      for (const path of Object.keys(table)) seen[path] = await outcome(files, path, mode);
      expect(seen).toEqual(table);
    });
  }

  it("serves a file that exists under its own name before any HTML rewriting", async () => {
    const files = folder({ "data/index": "binary index", "report.html.bak": "backup" });
    expect(await outcome(files, "/data/index", "auto-trailing-slash")).toBe("200 binary index");
    expect(await outcome(files, "/report.html.bak", "drop-trailing-slash")).toBe("200 backup");
  });

  it("with both page.html and page/index.html, each keeps its own canonical path", async () => {
    const files = folder({ "both.html": "file", "both/index.html": "folder" });
    expect(await outcome(files, "/both", "auto-trailing-slash")).toBe("200 file");
    expect(await outcome(files, "/both/", "auto-trailing-slash")).toBe("200 folder");
    expect(await outcome(files, "/both.html", "auto-trailing-slash")).toBe("307 /both");
    expect(await outcome(files, "/both/index.html", "auto-trailing-slash")).toBe("307 /both/");
  });
});

describe("not_found_handling", () => {
  const files = folder({
    "index.html": "app",
    "404.html": "top 404",
    "docs/404.html": "docs 404",
    "docs/guide.html": "guide",
  });

  it("none: a miss resolves to nothing", async () => {
    expect(await outcome(files, "/nope", "auto-trailing-slash", "none")).toBe("miss");
  });

  it("single-page-application: a miss serves /index.html with status 200", async () => {
    expect(await outcome(files, "/app/route/42", "auto-trailing-slash", "single-page-application")).toBe(
      "200 app",
    );
    expect(await outcome(files, "/docs/guide", "auto-trailing-slash", "single-page-application")).toBe(
      "200 guide",
    );
  });

  it("404-page: a miss serves the nearest 404.html up the path with status 404", async () => {
    expect(await outcome(files, "/docs/a/b/missing", "auto-trailing-slash", "404-page")).toBe("404 docs 404");
    expect(await outcome(files, "/docs/missing", "auto-trailing-slash", "404-page")).toBe("404 docs 404");
    expect(await outcome(files, "/blog/missing", "auto-trailing-slash", "404-page")).toBe("404 top 404");
    expect(await outcome(folder({ "a.html": "a" }), "/missing", "none", "404-page")).toBe("miss");
  });

  it("single-page-application without an index.html is a plain miss", async () => {
    expect(await outcome(folder({ "a.css": "x" }), "/route", "none", "single-page-application")).toBe("miss");
  });
});
