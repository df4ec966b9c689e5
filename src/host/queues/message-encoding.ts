// How a message body is stored: encoded with its content type when it is sent, decoded the same
// way when it is delivered. "json" keeps what JSON keeps, "text" a string, "bytes" an
// ArrayBufferView's bytes (delivered as an ArrayBuffer), "v8" any structured-cloneable value
// (Date, Map, Set, typed arrays, …) through Node's V8 serializer, as workerd uses V8's.

import { deserialize, serialize } from "node:v8";
import { QueueTypeError } from "./queue-errors.js";

export type ContentType = "json" | "text" | "bytes" | "v8";

const CONTENT_TYPES: readonly ContentType[] = ["json", "text", "bytes", "v8"];

/** Workers dated on or after this default to "json" (before it, to "v8"), as on Cloudflare. */
const JSON_DEFAULT_FROM = "2024-03-18";

/** The content type a send without one uses, from the Worker's compatibility settings. */
export function defaultContentType(compatibility: {
  date: string | undefined;
  flags: string[];
}): ContentType {
  if (compatibility.flags.includes("queues_json_messages")) return "json";
  if (compatibility.flags.includes("no_queues_json_messages")) return "v8";
  if (compatibility.date !== undefined && compatibility.date < JSON_DEFAULT_FROM) return "v8";
  return "json";
}

/** `value` as a content type, accepting any letter case as workerd does. */
export function checkContentType(value: unknown): ContentType {
  const lower = typeof value === "string" ? value.toLowerCase() : value;
  if (CONTENT_TYPES.includes(lower as ContentType)) return lower as ContentType;
  throw new QueueTypeError(
    "queue.content_type_unsupported",
    `Unsupported queue message content type: ${String(value)} (use one of ${CONTENT_TYPES.join(", ")})`,
  );
}

function typeOf(value: unknown): string {
  return value === null ? "object" : typeof value;
}

/** The bytes stored for `body`; throws a TypeError for a body its content type cannot hold. */
export function encodeBody(body: unknown, contentType: ContentType): Buffer {
  if (body === undefined) {
    throw new QueueTypeError("queue.body_undefined", "Message body cannot be undefined");
  }
  switch (contentType) {
    case "text":
      if (typeof body !== "string") {
        throw new QueueTypeError(
          "queue.body_not_serializable",
          `Content Type "text" requires a value of type string, but received: ${typeOf(body)}`,
        );
      }
      return Buffer.from(body, "utf8");
    case "bytes":
      if (!ArrayBuffer.isView(body)) {
        throw new QueueTypeError(
          "queue.body_not_serializable",
          `Content Type "bytes" requires a value of type ArrayBufferView, but received: ${typeOf(body)}`,
        );
      }
      return Buffer.from(body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength));
    case "json":
      return encodeJson(body);
    case "v8":
      try {
        return serialize(body);
      } catch (error) {
        throw new QueueTypeError(
          "queue.body_not_serializable",
          `Message body could not be serialized with content type "v8": ${(error as Error).message}`,
        );
      }
  }
}

function encodeJson(body: unknown): Buffer {
  let text: string | undefined;
  try {
    text = JSON.stringify(body);
  } catch (error) {
    throw new QueueTypeError(
      "queue.body_not_serializable",
      `Message body could not be serialized with content type "json": ${(error as Error).message}`,
    );
  }
  if (text === undefined) {
    throw new QueueTypeError(
      "queue.body_not_serializable",
      `Message body could not be serialized with content type "json": a ${typeOf(body)} has no JSON form`,
    );
  }
  return Buffer.from(text, "utf8");
}

/** The body a consumer receives from stored bytes. */
export function decodeBody(bytes: Uint8Array, contentType: ContentType): unknown {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (contentType) {
    case "text":
      return buffer.toString("utf8");
    case "bytes":
      return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength);
    case "json":
      return JSON.parse(buffer.toString("utf8"));
    case "v8":
      return deserialize(buffer);
  }
}
