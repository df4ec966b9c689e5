// ANSI colour, only where a person reads it: stdout a terminal and NO_COLOR unset (see
// no-color.org); never in --json output or when piped, so scripts and files get plain text.

export type Paint = (text: string) => string;

export type Colours = {
  enabled: boolean;
  bold: Paint;
  dim: Paint;
  red: Paint;
  green: Paint;
  yellow: Paint;
  blue: Paint;
  magenta: Paint;
  cyan: Paint;
};

const codes = {
  bold: [1, 22],
  dim: [2, 22],
  red: [31, 39],
  green: [32, 39],
  yellow: [33, 39],
  blue: [34, 39],
  magenta: [35, 39],
  cyan: [36, 39],
} as const;

type Name = keyof typeof codes;

/** Painters that add ANSI codes when `enabled`, and return the text as is otherwise. */
export function createColours(enabled: boolean): Colours {
  const paint =
    (name: Name): Paint =>
    (text) =>
      enabled && text !== "" ? `\x1b[${codes[name][0]}m${text}\x1b[${codes[name][1]}m` : text;
  return {
    enabled,
    bold: paint("bold"),
    dim: paint("dim"),
    red: paint("red"),
    green: paint("green"),
    yellow: paint("yellow"),
    blue: paint("blue"),
    magenta: paint("magenta"),
    cyan: paint("cyan"),
  };
}

/** Whether to colour: stdout is a terminal, NO_COLOR is unset or empty, and this is not --json. */
export function wantColour(
  stdout: { isTTY?: boolean },
  env: Record<string, string | undefined>,
  json: boolean,
) {
  return !json && stdout.isTTY === true && !env.NO_COLOR;
}
