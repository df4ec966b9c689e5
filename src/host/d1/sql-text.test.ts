import { describe, expect, it } from "vitest";
import { semicolons, skipLiteral, splitStatements } from "./sql-text.js";

describe("SQL text", () => {
  it("skips strings, quoted identifiers and comments", () => {
    expect(skipLiteral("'a''b' x", 0)).toBe(6);
    expect(skipLiteral('"col" x', 0)).toBe(5);
    expect(skipLiteral("[a]] x", 0)).toBe(3);
    expect(skipLiteral("-- note\nx", 0)).toBe(7);
    expect(skipLiteral("/* a */x", 0)).toBe(7);
    expect(skipLiteral("'never closed", 0)).toBe(13);
    expect(skipLiteral("x", 0)).toBe(0);
  });

  it("finds the semicolons that end statements", () => {
    expect(semicolons("a; 'b;' \"c;\" -- d;\n /* e; */ f;")).toEqual([1, 30]);
  });

  it("splits at semicolons, running on where a piece is not a whole statement yet", () => {
    const complete = (piece: string) => !piece.includes("BEGIN") || piece.trim().endsWith("END;");
    expect(splitStatements("A; B BEGIN x; y; END; C", complete)).toEqual(["A;", " B BEGIN x; y; END;", " C"]);
    expect(splitStatements("A;  ", complete)).toEqual(["A;"]);
  });
});
