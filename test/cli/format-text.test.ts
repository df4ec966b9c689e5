// The text helpers under every table: display width with emoji and colour codes, truncation
// that reports what it cut, and server text stripped of terminal control sequences.

import { describe, expect, it } from "vitest";
import { displayWidth, oneLine, padEnd, sanitize, truncate } from "../../src/cli/workflows/format/text.js";

describe("displayWidth", () => {
  it("counts ASCII one column each and colour codes none", () => {
    expect(displayWidth("complete")).toBe(8);
    expect(displayWidth("\x1b[32mcomplete\x1b[39m")).toBe(8);
  });

  it("counts the status emoji two columns, including the ones made emoji by VS16", () => {
    expect(displayWidth("✅")).toBe(2);
    expect(displayWidth("❌")).toBe(2);
    expect(displayWidth("⌛")).toBe(2);
    expect(displayWidth("⏰")).toBe(2);
    expect(displayWidth("🚫")).toBe(2);
    expect(displayWidth("⏸️")).toBe(2); // U+23F8 + U+FE0F
    expect(displayWidth("⏱️")).toBe(2);
    expect(displayWidth("▶")).toBe(1); // text presentation, as wrangler prints it
    expect(displayWidth("✅ complete")).toBe(11);
  });

  it("pads to display columns, not string length", () => {
    expect(padEnd("⏸️ paused", 12)).toBe("⏸️ paused   ");
    expect(displayWidth(padEnd("⏸️ paused", 12))).toBe(12);
  });
});

describe("truncate", () => {
  it("keeps text that fits and says how much it cut otherwise", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdefgh", 3)).toBe("abc… [5 more characters]");
    expect(truncate("abcd", 3)).toBe("abc… [1 more character]");
    expect(truncate("abc", 0)).toBe("… [3 more characters]");
  });

  it("never cuts inside a surrogate pair", () => {
    expect(truncate("😀😀😀", 2)).toBe("😀😀… [1 more character]");
  });
});

describe("sanitize and oneLine", () => {
  it("removes escape sequences a server value could use to restyle the terminal", () => {
    expect(sanitize("evil\x1b[2Jtext")).toBe("evil\ufffd[2Jtext");
    expect(sanitize("a\nb\tc")).toBe("a\nb\tc");
  });

  it("puts a value on one line for a table cell", () => {
    expect(oneLine("line 1\nline 2\r\nline\t3")).toBe("line 1↵line 2↵line 3");
  });
});
