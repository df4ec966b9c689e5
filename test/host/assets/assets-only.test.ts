// End-to-end: a project of static assets only (an assets section, no main) starts under both
// `cairn dev` and `cairn start`, serves its files and its 404 page, honours .assetsignore, and
// answers other methods with 405 as Cloudflare does when there is no Worker. Workflows or an
// assets binding without a main, or a config with neither, stop start-up with a clear error.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { CairnProcess } from "../helpers/cairn-process.js";
import { copyFixture, removeProjects } from "../helpers/projects.js";
import { send } from "./helpers.js";

afterEach(async () => {
  await CairnProcess.killAll();
});
afterAll(() => removeProjects());

describe("a project of static assets only", () => {
  for (const command of ["dev", "start"] as const) {
    it(`is served by cairn ${command}`, async () => {
      const dir = copyFixture("assets-only");
      const args = command === "dev" ? ["dev", "--port", "0"] : ["start", "--port", "0", "--admin-port", "0"];
      const url = await CairnProcess.start(args, dir).ready();
      expect((await send(url, "/")).body).toContain("<h1>static home</h1>");
      const css = await send(url, "/css/site.css");
      expect(css.headers["content-type"]).toBe("text/css; charset=utf-8");
      expect(css.body).toBe("h1 {\n  color: teal;\n}\n");
      const missing = await send(url, "/nope");
      expect(missing.status).toBe(404);
      expect(missing.body).toContain("<h1>static 404</h1>");
      // .assetsignore leaves drafts/ out: it gets the 404 page.
      const draft = await send(url, "/drafts/post.html");
      expect(draft.status).toBe(404);
      expect(draft.body).not.toContain("unpublished");
      expect((await send(url, "/", { method: "POST", body: "x" })).status).toBe(405);
      // A file added while it runs is served at the next request, in start as in dev.
      writeFileSync(join(dir, "public", "added.txt"), "added");
      expect((await send(url, "/added.txt")).body).toBe("added");
    });
  }

  it("refuses workflows or an assets binding without a main, and a config with neither main nor assets", async () => {
    const dir = copyFixture("assets-only");
    const file = join(dir, "wrangler.jsonc");
    const original = readFileSync(file, "utf8");
    writeFileSync(
      file,
      original.replace(
        '"assets":',
        '"workflows": [{ "name": "w", "binding": "W", "class_name": "W" }], "assets":',
      ),
    );
    const withWorkflows = CairnProcess.start(["dev", "--port", "0"], dir);
    expect((await withWorkflows.exited).code).toBe(1);
    expect(withWorkflows.stderr).toContain("workflows need main");

    writeFileSync(
      file,
      original.replace('"directory": "./public"', '"directory": "./public", "binding": "ASSETS"'),
    );
    const withBinding = CairnProcess.start(["dev", "--port", "0"], dir);
    expect((await withBinding.exited).code).toBe(1);
    expect(withBinding.stderr).toContain("Cannot use assets with a binding in an assets-only Worker");

    writeFileSync(file, '{ "name": "nothing", "compatibility_date": "2025-09-01" }\n');
    const empty = CairnProcess.start(["dev", "--port", "0"], dir);
    expect((await empty.exited).code).toBe(1);
    expect(empty.stderr).toContain("main must name the Worker's entry module");
    expect(empty.stderr).toContain("a project of static assets only gives an assets section instead");
  });
});
