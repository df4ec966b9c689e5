// Keeps the parsed `_headers` and `_redirects` rules of the assets folder, parsing a file again
// only when it changes (so an edit in `cairn dev` applies at the next request) and reporting the
// lines it had to leave out once per version of the file.

import type { Logger } from "../../observability/logger.js";
import type { AssetFiles } from "./asset-files.js";
import { type HeaderRule, parseHeadersFile } from "./headers-file.js";
import { parseRedirectsFile, type RedirectRules } from "./redirects-file.js";

type Parsed<T> = { rules: T; problems: string[] };

type RuleFileSpec<T> = { name: string; parse: (text: string) => Parsed<T>; empty: T };

class ParsedRuleFile<T> {
  private cached: { key: string; rules: T } | null = null;
  private readonly files: AssetFiles;
  private readonly spec: RuleFileSpec<T>;
  private readonly log: Logger;

  constructor(files: AssetFiles, spec: RuleFileSpec<T>, log: Logger) {
    this.files = files;
    this.spec = spec;
    this.log = log;
  }

  async rules(): Promise<T> {
    const file = await this.files.readRuleFile(this.spec.name);
    if (!file) return this.spec.empty;
    if (this.cached?.key === file.key) return this.cached.rules;
    const { rules, problems } = this.spec.parse(file.text);
    for (const problem of problems) this.log.warn({ file: this.spec.name, problem }, "assets rule left out");
    this.cached = { key: file.key, rules };
    return rules;
  }
}

/** The `_headers` and `_redirects` rules of an assets folder, as they are on disk now. */
export class AssetRuleFiles {
  private readonly headerFile: ParsedRuleFile<HeaderRule[]>;
  private readonly redirectFile: ParsedRuleFile<RedirectRules>;

  constructor(files: AssetFiles, log: Logger) {
    this.headerFile = new ParsedRuleFile(
      files,
      { name: "_headers", parse: parseHeadersFile, empty: [] },
      log,
    );
    const empty: RedirectRules = { exact: new Map(), patterns: [] };
    this.redirectFile = new ParsedRuleFile(
      files,
      { name: "_redirects", parse: parseRedirectsFile, empty },
      log,
    );
  }

  headers(): Promise<HeaderRule[]> {
    return this.headerFile.rules();
  }

  redirects(): Promise<RedirectRules> {
    return this.redirectFile.rules();
  }
}
