// `WebSocketRequestResponsePair`: the request text a hibernatable WebSocket answers by itself with
// the response text (a keep-alive ping, say), without waking the Durable Object. Each side is at
// most 2048 bytes; the hibernation API checks that when the pair is set, with Cloudflare's errors.

export class WebSocketRequestResponsePair {
  readonly #request: string;
  readonly #response: string;

  constructor(...args: [request: string, response: string]) {
    if (args.length < 2) {
      throw new TypeError(
        `Failed to construct 'WebSocketRequestResponsePair': 2 arguments required, but only ${args.length} present.`,
      );
    }
    const [request, response] = args;
    this.#request = String(request);
    this.#response = String(response);
  }

  get request(): string {
    return this.#request;
  }

  get response(): string {
    return this.#response;
  }
}
