// HTTP metadata of an R2 object (content type, language, disposition, encoding, cache control,
// expiry): read from a put's options, given either as an object or as Headers (a request's own
// headers work), kept in the index as JSON, and written back onto response headers.

export type R2HTTPMetadata = {
  contentType?: string;
  contentLanguage?: string;
  contentDisposition?: string;
  contentEncoding?: string;
  cacheControl?: string;
  cacheExpiry?: Date;
};

/** The form kept in the index: the same fields, the expiry in epoch milliseconds. */
export type StoredHttpMetadata = Omit<R2HTTPMetadata, "cacheExpiry"> & { cacheExpiry?: number };

const TEXT_FIELDS = [
  "contentType",
  "contentLanguage",
  "contentDisposition",
  "contentEncoding",
  "cacheControl",
] as const;

const HEADER_OF: Record<(typeof TEXT_FIELDS)[number], string> = {
  contentType: "content-type",
  contentLanguage: "content-language",
  contentDisposition: "content-disposition",
  contentEncoding: "content-encoding",
  cacheControl: "cache-control",
};

function dateMillis(value: unknown, what: string): number {
  const date = value instanceof Date ? value : new Date(String(value));
  const millis = date.getTime();
  if (Number.isNaN(millis)) throw new TypeError(`${what} is not a valid date: ${String(value)}`);
  return millis;
}

/** The metadata to store from a put's `httpMetadata` option (undefined stores none). */
export function readHttpMetadata(value: unknown): StoredHttpMetadata {
  if (value === undefined || value === null) return {};
  const out: StoredHttpMetadata = {};
  if (value instanceof Headers) {
    for (const field of TEXT_FIELDS) {
      const header = value.get(HEADER_OF[field]);
      if (header !== null) out[field] = header;
    }
    const expires = value.get("expires");
    if (expires !== null) out.cacheExpiry = dateMillis(expires, "The expires header");
    return out;
  }
  if (typeof value !== "object") {
    throw new TypeError(`httpMetadata must be an object or a Headers, got ${typeof value}`);
  }
  const fields = value as Record<string, unknown>;
  for (const field of TEXT_FIELDS) {
    if (fields[field] !== undefined) out[field] = String(fields[field]);
  }
  if (fields.cacheExpiry !== undefined)
    out.cacheExpiry = dateMillis(fields.cacheExpiry, "httpMetadata.cacheExpiry");
  return out;
}

/** The stored metadata as the Workers API gives it (the expiry as a Date). */
export function toHttpMetadata(stored: StoredHttpMetadata): R2HTTPMetadata {
  const { cacheExpiry, ...text } = stored;
  return cacheExpiry === undefined ? { ...text } : { ...text, cacheExpiry: new Date(cacheExpiry) };
}

/** Sets the headers that `metadata` describes on `headers`. */
export function writeHeaders(metadata: StoredHttpMetadata, headers: Headers): void {
  for (const field of TEXT_FIELDS) {
    const value = metadata[field];
    if (value !== undefined) headers.set(HEADER_OF[field], value);
  }
  if (metadata.cacheExpiry !== undefined)
    headers.set("expires", new Date(metadata.cacheExpiry).toUTCString());
}

/** A put's `customMetadata`: string keys to string values (other values become strings). */
export function readCustomMetadata(value: unknown): Record<string, string> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(
      `customMetadata must be an object of strings, got ${Array.isArray(value) ? "an array" : typeof value}`,
    );
  }
  const out: Record<string, string> = {};
  for (const [name, field] of Object.entries(value)) out[name] = String(field);
  return out;
}

/** Size of custom metadata as R2 counts it against its limit: keys and values in UTF-8 bytes. */
export function customMetadataBytes(metadata: Record<string, string>): number {
  let total = 0;
  for (const [name, value] of Object.entries(metadata))
    total += Buffer.byteLength(name) + Buffer.byteLength(value);
  return total;
}
