// What a Worker gets for `import { EmailMessage } from "cloudflare:email"`. Cairn provides no
// send_email binding (start-up refuses one), but libraries import the class at their top level
// (the Agents SDK does), so the module must load: an EmailMessage is the envelope and raw message
// a send_email binding would take.

/** An email to hand to a send_email binding: its envelope sender and recipient, and the raw message. */
export class EmailMessage {
  readonly from: string;
  readonly to: string;
  readonly raw: ReadableStream | string;

  constructor(from: string, to: string, raw: ReadableStream | string) {
    if (typeof from !== "string" || typeof to !== "string") {
      throw new TypeError("EmailMessage takes (from: string, to: string, raw: ReadableStream | string)");
    }
    this.from = from;
    this.to = to;
    this.raw = raw;
  }
}
