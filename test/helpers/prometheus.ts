// Test helper: parses a Prometheus text exposition with a real text-format parser and answers
// questions about it (a sample's value by its labels, a histogram's count and sum, the label
// names used). The parser folds a histogram's series into one unless it has no labels, so the
// text is parsed twice: as it is (families with their types, and a check of the whole format),
// and with the histogram TYPE lines left out, where each `_bucket`, `_sum` and `_count` line is
// a sample of its own with all its labels.

import parsePrometheusTextFormat, {
  type ParsedFamily,
  type ParsedSample,
} from "parse-prometheus-text-format";

export type Exposition = {
  /** The families as the parser gives them (a labelled histogram's series folded together). */
  families: ParsedFamily[];
  /** The family `name` with its type, or undefined when the text has none. */
  family(name: string): ParsedFamily | undefined;
  /** The value of the first sample named `name` whose labels include `labels`. */
  value(name: string, labels?: Record<string, string>): number | undefined;
  /** A histogram's observation count for the series whose labels include `labels`. */
  count(name: string, labels?: Record<string, string>): number | undefined;
  /** A histogram's sum for the series whose labels include `labels`. */
  sum(name: string, labels?: Record<string, string>): number | undefined;
  /** Every sample named `name` (a histogram's as `<name>_bucket`, `_sum`, `_count`). */
  samples(name: string): ParsedSample[];
};

export function parseExposition(text: string): Exposition {
  const families = parsePrometheusTextFormat(text);
  const byName = new Map(families.map((f) => [f.name, f]));
  const flat = parsePrometheusTextFormat(text.replace(/^# TYPE \S+ (histogram|summary)$/gm, ""));
  const samples = new Map<string, ParsedSample[]>();
  for (const f of flat) samples.set(f.name, [...(samples.get(f.name) ?? []), ...f.metrics]);
  const value = (name: string, labels: Record<string, string> = {}) => {
    const found = (samples.get(name) ?? []).find((m) =>
      Object.entries(labels).every(([k, v]) => m.labels?.[k] === v),
    );
    return found?.value === undefined ? undefined : Number(found.value);
  };
  return {
    families,
    family: (name) => byName.get(name),
    value,
    count: (name, labels) => value(`${name}_count`, labels),
    sum: (name, labels) => value(`${name}_sum`, labels),
    samples: (name) => samples.get(name) ?? [],
  };
}
