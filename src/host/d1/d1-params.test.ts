import { describe, expect, it } from "vitest";
import { numberParameters } from "./d1-params.js";

describe("numberParameters", () => {
  it("numbers ? in order and keeps ?NNN, as SQLite does", () => {
    expect(numberParameters("SELECT ?, ?")).toEqual({ sql: "SELECT ?1, ?2", count: 2 });
    expect(numberParameters("SELECT ?2, ?1")).toEqual({ sql: "SELECT ?2, ?1", count: 2 });
    // A bare ? takes the number after the highest so far.
    expect(numberParameters("SELECT ?3, ?, ?1")).toEqual({ sql: "SELECT ?3, ?4, ?1", count: 4 });
    expect(numberParameters("SELECT ?1, ?1")).toEqual({ sql: "SELECT ?1, ?1", count: 1 });
  });

  it("gives a named parameter one number for every use of its name", () => {
    expect(numberParameters("SELECT :a, @b, :a, $c, ?")).toEqual({
      sql: "SELECT ?1, ?2, ?1, ?3, ?4",
      count: 4,
    });
  });

  it("leaves question marks in strings, quoted names and comments alone", () => {
    const sql = `SELECT '?', 'it''s ?', "col?", [x?], \`y?\` -- what?\n, ? /* and ? */`;
    expect(numberParameters(sql)).toEqual({
      sql: `SELECT '?', 'it''s ?', "col?", [x?], \`y?\` -- what?\n, ?1 /* and ? */`,
      count: 1,
    });
  });

  it("counts none in SQL without parameters", () => {
    expect(numberParameters("CREATE TABLE t (a)")).toEqual({ sql: "CREATE TABLE t (a)", count: 0 });
  });
});
