// Table layout: columns aligned by display width (emoji, colour codes), right-aligned numbers,
// and no padding after the last column.

import { describe, expect, it } from "vitest";
import { createColours } from "../../src/cli/workflows/format/colour.js";
import { formatStatus } from "../../src/cli/workflows/format/status.js";
import { renderFields, renderTable } from "../../src/cli/workflows/format/table.js";
import { stripAnsi } from "../../src/cli/workflows/format/text.js";

const plain = createColours(false);

describe("renderTable", () => {
  it("aligns columns whose cells hold emoji of different widths", () => {
    const rows = [
      ["a", formatStatus("paused", plain), "x"],
      ["bbbb", formatStatus("running", plain), "y"],
      ["cc", formatStatus("waitingForPause", plain), "z"],
    ];
    const table = renderTable(["ID", "STATUS", "NOTE"], rows, { colours: plain });
    expect(table).toBe(
      [
        "ID    STATUS              NOTE",
        "a     ⏸️ paused           x",
        "bbbb  ▶ running           y",
        "cc    ⏱️ waitingForPause  z",
      ].join("\n"),
    );
  });

  it("right-aligns numbers, indents, and leaves no trailing spaces", () => {
    const table = renderTable(
      ["NAME", { header: "N", align: "right" }, "LAST"],
      [
        ["one", "1", ""],
        ["three", "100", "long value"],
      ],
      { colours: plain, indent: 2 },
    );
    expect(table).toBe(["  NAME     N  LAST", "  one      1", "  three  100  long value"].join("\n"));
  });

  it("measures coloured cells without their codes", () => {
    const colours = createColours(true);
    const table = renderTable(
      ["STATUS", "X"],
      [
        [formatStatus("complete", colours), "1"],
        [formatStatus("errored", colours), "2"],
      ],
      { colours },
    );
    expect(table).toContain("\x1b[");
    expect(stripAnsi(table)).toBe(["STATUS       X", "✅ complete  1", "❌ errored   2"].join("\n"));
  });
});

describe("renderFields", () => {
  it("pads labels to the longest", () => {
    expect(
      renderFields(
        [
          ["Status", "ok"],
          ["Last success", "reserve-1"],
        ],
        { colours: plain, indent: 2 },
      ),
    ).toBe("  Status        ok\n  Last success  reserve-1");
  });
});
