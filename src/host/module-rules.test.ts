// The `rules` config: wrangler's defaults after the project's rules, a rule without fallthrough
// hiding later rules of its type, globs matching import specifiers, and clear errors for rules
// Cairn cannot honour.

import { describe, expect, it } from "vitest";
import { globPattern, readModuleRules } from "./module-rules.js";

const PATH = "/p/wrangler.jsonc";

function matches(glob: string, specifier: string): boolean {
  return new RegExp(`^${globPattern(glob)}$`).test(specifier);
}

describe("readModuleRules", () => {
  it("gives wrangler's default rules when the config has none", () => {
    expect(readModuleRules({}, PATH)).toEqual([
      { type: "Text", globs: ["**/*.txt", "**/*.html", "**/*.sql"], fallthrough: false },
      { type: "Data", globs: ["**/*.bin"], fallthrough: false },
      { type: "CompiledWasm", globs: ["**/*.wasm", "**/*.wasm?module"], fallthrough: false },
    ]);
  });

  it("puts the project's rules first; without fallthrough they hide the default of their type", () => {
    const rules = readModuleRules({ rules: [{ type: "Text", globs: ["**/*.md"] }] }, PATH);
    expect(rules.map((r) => [r.type, r.globs[0]])).toEqual([
      ["Text", "**/*.md"],
      ["Data", "**/*.bin"],
      ["CompiledWasm", "**/*.wasm"],
    ]);
  });

  it("keeps the default of the type with fallthrough: true", () => {
    const rules = readModuleRules(
      { rules: [{ type: "Data", globs: ["**/*.dat"], fallthrough: true }] },
      PATH,
    );
    expect(rules.filter((r) => r.type === "Data").map((r) => r.globs)).toEqual([["**/*.dat"], ["**/*.bin"]]);
  });

  it("refuses rule types Cairn does not support, naming the rule and the supported types", () => {
    for (const type of ["ESModule", "CommonJS", "PythonModule"]) {
      expect(() =>
        readModuleRules(
          {
            rules: [
              { type: "Text", globs: ["*.a"] },
              { type, globs: ["*.b"] },
            ],
          },
          PATH,
        ),
      ).toThrow(
        `${PATH}: rules[1] has type "${type}", which Cairn does not support (it bundles JavaScript modules itself); Cairn supports the rule types Text, Data, CompiledWasm`,
      );
    }
    expect(() => readModuleRules({ rules: [{ type: "Wasm", globs: ["*.b"] }] }, PATH)).toThrow(
      'rules[0] has type "Wasm", which is not a module rule type',
    );
  });

  it("refuses malformed rules", () => {
    expect(() => readModuleRules({ rules: {} }, PATH)).toThrow("rules must be a list");
    expect(() => readModuleRules({ rules: ["Text"] }, PATH)).toThrow("rules[0] must be an object");
    expect(() => readModuleRules({ rules: [{ type: "Text" }] }, PATH)).toThrow(
      "rules[0].globs must be a non-empty list",
    );
    expect(() => readModuleRules({ rules: [{ type: "Text", globs: [""] }] }, PATH)).toThrow(
      'rules[0].globs has "", which is not a glob',
    );
    expect(() =>
      readModuleRules({ rules: [{ type: "Text", globs: ["*.a"], fallthrough: "yes" }] }, PATH),
    ).toThrow("rules[0].fallthrough must be true or false");
  });
});

describe("globPattern", () => {
  it("lets * stand for any characters and keeps the rest literal", () => {
    expect(matches("**/*.wasm", "./lib/add.wasm")).toBe(true);
    expect(matches("**/*.wasm", "pkg/add.wasm")).toBe(true);
    expect(matches("**/*.wasm", "./add.wasm?module")).toBe(false);
    expect(matches("**/*.wasm?module", "./add.wasm?module")).toBe(true);
    expect(matches("**/*.txt", "./notes.txt.js")).toBe(false);
    expect(matches("**/*.txt", "./notesatxt")).toBe(false);
  });
});
