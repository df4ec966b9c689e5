// The web dashboard served by the API handler over real HTTP on a real SQLite file: the page at
// each base path and at deep links with its meta tags and security headers, the bundle's assets
// with ETags, and, with a token set, signing in by form for an HttpOnly session cookie that the
// API accepts (writes only with the session's CSRF header), signing out, and the refusals:
// wrong token, foreign Origin, open redirects, forged and expired cookies.

import { createHmac } from "node:crypto";
import { createApiHandler } from "cairn";
import { afterEach, describe, expect, it } from "vitest";
import { dashboardAssets } from "../../src/dashboard/assets.js";
import { appPage } from "../../src/server/dashboard-page.js";
import { type ApiServer, startApiServer } from "./helpers/api-server.js";
import { workflows } from "./workflows.js";

const EXPLORER = "/cdn-cgi/local/explorer/";
const BASES = ["/", EXPLORER];
const TOKEN = "dash-t0ken";
const CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; worker-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

let server: ApiServer<typeof workflows>;
afterEach(async () => {
  await server?.close();
});

const mac = (message: string) => createHmac("sha256", TOKEN).update(message).digest("base64url");
/** A session cookie value made as the docs describe it, expiring at `expiresAt`. */
const cookieValue = (expiresAt: number) => `v1.${expiresAt}.${mac(`cairn-session:${expiresAt}`)}`;
const csrfOf = (value: string) => mac(`cairn-csrf:${value}`);

/** A request that does not follow redirects, with the body read as text. */
async function get(path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, { redirect: "manual", ...init });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

function meta(html: string, name: string): string | undefined {
  return new RegExp(`<meta name="${name}" content="([^"]*)">`).exec(html)?.[1];
}

function signInForm(token: string, next: string, headers: Record<string, string> = {}) {
  return get(`${EXPLORER}sign-in`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams({ token, next }).toString(),
  });
}

/** Signs in over HTTP and answers the cookie's value. */
async function signedIn(): Promise<string> {
  const answer = await signInForm(TOKEN, EXPLORER);
  expect(answer.status).toBe(303);
  return /^cairn_session=([^;]+);/.exec(answer.headers.get("set-cookie") ?? "")![1]!;
}

describe("the dashboard without a token", () => {
  it("answers the page at each base and at deep links, with its meta tags and headers", async () => {
    server = await startApiServer(workflows, { dashboard: { basePaths: BASES } });
    const files = await dashboardAssets();
    const version = (name: string) => files.get(name)!.etag.replaceAll('"', "");
    const deep = "workflows/my-wf/instances/abc/steps/do%3A1%3Acharge";
    for (const [base, path] of [
      ["/", "/"],
      [EXPLORER, EXPLORER],
      ["/", `/${deep}?tab=output`],
      [EXPLORER, `${EXPLORER}${deep}`],
    ] as const) {
      const page = await get(path);
      expect(page.status, path).toBe(200);
      expect(page.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(page.headers.get("cache-control")).toBe("no-store");
      expect(page.headers.get("content-security-policy")).toBe(CSP);
      expect(page.headers.get("x-content-type-options")).toBe("nosniff");
      expect(page.headers.get("referrer-policy")).toBe("same-origin");
      expect(page.headers.get("x-frame-options")).toBe("DENY");
      expect(page.text.startsWith('<!doctype html>\n<html lang="en">')).toBe(true);
      expect(page.text).toContain('<meta charset="utf-8">');
      expect(page.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
      expect(page.text).toContain("<title>Cairn</title>");
      expect(meta(page.text, "cairn-base")).toBe(base);
      expect(meta(page.text, "cairn-csrf")).toBe("");
      expect(meta(page.text, "cairn-session")).toBe("open");
      expect(page.text).toMatch(/<link rel="icon" href="data:image\/svg\+xml,[^"]+">/);
      expect(page.text).toContain(
        `<link rel="stylesheet" href="${base}assets/app.css?v=${version("app.css")}">`,
      );
      expect(page.text).toContain(
        `<script type="module" src="${base}assets/app.js?v=${version("app.js")}"></script>`,
      );
      expect(page.text).toContain('<div id="app"></div>');
      expect(page.text).toMatch(/<noscript>[^<]+<\/noscript>/);
    }
    // HEAD answers the same headers without the page.
    const head = await get(EXPLORER, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-security-policy")).toBe(CSP);
    expect(head.text).toBe("");
    // The base without its final slash goes to the base.
    const bare = await get("/cdn-cgi/local/explorer?x=1");
    expect(bare.status).toBe(308);
    expect(bare.headers.get("location")).toBe(`${EXPLORER}?x=1`);
    // Without a token there is nothing to sign in to.
    const signIn = await get(`${EXPLORER}sign-in`);
    expect(signIn.status).toBe(303);
    expect(signIn.headers.get("location")).toBe(EXPLORER);
  });

  it("leaves the API's paths to the API, under either base", async () => {
    server = await startApiServer(workflows, { dashboard: { basePaths: BASES } });
    const list = await server.call("GET", `${EXPLORER}api/workflows`);
    expect(list.status).toBe(200);
    expect(list.body.result).toContainEqual({ name: "quick", class_name: "Quick", script_name: "cairn" });
    const unknown = await server.call("GET", "/cairn/api/nope");
    expect(unknown.body.errors[0].cairn_code).toBe("route.not_found");
    expect((await server.call("GET", "/client/v4/accounts/a/workflows")).status).toBe(200);
  });

  it("claims only its own paths: `dashboard: true` is /cdn-cgi/local/explorer/ and the rest is the Worker's", async () => {
    server = await startApiServer(workflows, { dashboard: true });
    const worker = await get("/");
    expect(worker.status).toBe(418);
    expect((await get("/cdn-cgi/local/explorer/workflows")).status).toBe(200);
    const api = createApiHandler({ target: server.cairn, dashboard: true });
    const at = (path: string) => api.handles(new Request(`http://localhost${path}`));
    expect([
      at("/"),
      at("/cdn-cgi/local/explorer"),
      at("/cdn-cgi/local/explorer/x"),
      at("/cairn/api"),
    ]).toEqual([false, true, true, true]);
    const none = createApiHandler({ target: server.cairn });
    expect(none.handles(new Request("http://localhost/cdn-cgi/local/explorer/"))).toBe(false);
  });

  it("serves the assets with their type and ETag, 304 when unchanged, 404 for unknown names", async () => {
    server = await startApiServer(workflows, { dashboard: { basePaths: BASES } });
    const files = await dashboardAssets();
    for (const name of ["app.js", "app.css", "changes-worker.js"]) {
      for (const base of BASES) {
        const asset = await get(`${base}assets/${name}?v=1`);
        expect(asset.status, name).toBe(200);
        expect(asset.headers.get("content-type")).toBe(files.get(name)!.type);
        expect(asset.headers.get("etag")).toBe(files.get(name)!.etag);
        expect(asset.headers.get("cache-control")).toBe("no-cache");
        expect(asset.text).toBe(Buffer.from(files.get(name)!.body).toString("utf8"));
      }
    }
    const first = await get(`${EXPLORER}assets/app.js`);
    const etag = first.headers.get("etag")!;
    const again = await get(`${EXPLORER}assets/app.js`, { headers: { "if-none-match": `W/"x", ${etag}` } });
    expect(again.status).toBe(304);
    expect(again.headers.get("etag")).toBe(etag);
    expect(again.text).toBe("");
    const changed = await get(`${EXPLORER}assets/app.js`, { headers: { "if-none-match": '"old"' } });
    expect(changed.status).toBe(200);
    const head = await get(`${EXPLORER}assets/app.css`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("etag")).toBe(files.get("app.css")!.etag);
    expect(head.text).toBe("");
    const missing = await get(`${EXPLORER}assets/nope.js`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect((await get(`${EXPLORER}assets/app.js`, { method: "POST" })).status).toBe(405);
  });

  it("escapes every value it puts into the page", () => {
    const html = appPage({
      base: '/x"><script>alert(1)</script>/',
      csrf: `"'<>&`,
      session: "open",
      cssEtag: '"a"b"',
      jsEtag: '"<c>"',
    });
    expect(html).not.toContain("<script>alert");
    expect(html).toContain('<meta name="cairn-base" content="/x&#34;&#62;&#60;script&#62;');
    expect(html).toContain('<meta name="cairn-csrf" content="&#34;&#39;&#60;&#62;&#38;">');
    expect(html).toContain("app.js?v=%3Cc%3E");
  });
});

describe("the dashboard with a token", () => {
  const options = { token: TOKEN, dashboard: { basePaths: BASES } };

  it("sends a browser without a session to the sign-in form, with where it was going", async () => {
    server = await startApiServer(workflows, options);
    const deep = `${EXPLORER}workflows/orders/instances/a%2Fb?status=errored`;
    const page = await get(deep);
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe(`${EXPLORER}sign-in?next=${encodeURIComponent(deep)}`);
    expect(page.headers.get("set-cookie")).toBeNull();
    const root = await get("/");
    expect(root.headers.get("location")).toBe("/sign-in?next=%2F");
    // The bearer token is as good as a session (a script or a proxy in front).
    const bearer = await get(EXPLORER, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(bearer.status).toBe(200);
    expect(meta(bearer.text, "cairn-session")).toBe("signed-in");
    // Assets are the public bundle: no session needed.
    expect((await get(`${EXPLORER}assets/app.js`)).status).toBe(200);

    const form = await get(`${EXPLORER}sign-in?next=${encodeURIComponent(deep)}`);
    expect(form.status).toBe(200);
    expect(form.headers.get("content-security-policy")).toBe(CSP);
    expect(form.headers.get("cache-control")).toBe("no-store");
    expect(form.text).toContain('<meta name="color-scheme" content="light dark">');
    expect(form.text).toContain(`<form method="post" action="${EXPLORER}sign-in">`);
    expect(form.text).toContain('<label for="token">API token</label>');
    expect(form.text).toMatch(
      /<input type="password" name="token" id="token" autocomplete="current-password" required[^>]*>/,
    );
    expect(form.text).toContain(`<input type="hidden" name="next" value="${deep}">`);
    expect(form.text).toContain('<button type="submit">Sign in</button>');
    expect(form.text).not.toContain('role="alert"');
    expect(form.text).not.toMatch(/<script|style=/);
    const css = /<link rel="stylesheet" href="([^"]+)">/.exec(form.text)![1]!;
    const sheet = await get(css);
    expect(sheet.status).toBe(200);
    expect(sheet.headers.get("content-type")).toBe("text/css; charset=utf-8");
  });

  it("refuses a wrong token with the form again and no cookie; the right one sets the cookie and goes on", async () => {
    server = await startApiServer(workflows, options);
    const next = `${EXPLORER}workflows/orders?status=waiting`;
    const wrong = await signInForm("nope", next);
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get("set-cookie")).toBeNull();
    expect(wrong.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(wrong.text).toContain(
      '<p role="alert" id="sign-in-error">That is not this server&#39;s API token.</p>',
    );
    expect(wrong.text).toContain(`<input type="hidden" name="next" value="${next}">`);
    expect((await signInForm("", next)).status).toBe(401);

    const before = Date.now();
    const right = await signInForm(TOKEN, next);
    expect(right.status).toBe(303);
    expect(right.headers.get("location")).toBe(next);
    const cookie = right.headers.get("set-cookie")!;
    expect(cookie).toMatch(
      /^cairn_session=v1\.\d+\.[A-Za-z0-9_-]{43}; HttpOnly; SameSite=Strict; Path=\/; Max-Age=604800$/,
    );
    const value = /^cairn_session=([^;]+);/.exec(cookie)![1]!;
    const expiresAt = Number(value.split(".")[1]);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 604_800_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 604_800_000);
    expect(value).toBe(cookieValue(expiresAt));

    // Signed in, the page says so and carries the session's CSRF token.
    const page = await get(next, { headers: { cookie: `other=1; cairn_session=${value}` } });
    expect(page.status).toBe(200);
    expect(meta(page.text, "cairn-session")).toBe("signed-in");
    expect(meta(page.text, "cairn-csrf")).toBe(csrfOf(value));
    // The form, once signed in, goes straight on.
    const form = await get(`${EXPLORER}sign-in?next=${encodeURIComponent(next)}`, {
      headers: { cookie: `cairn_session=${value}` },
    });
    expect(form.status).toBe(303);
    expect(form.headers.get("location")).toBe(next);
  });

  it("goes back only to a path of this dashboard: never another site", async () => {
    server = await startApiServer(workflows, options);
    for (const next of [
      "//evil.example",
      "//evil.example/cdn-cgi/local/explorer/",
      "https://evil.example/",
      "/\\evil.example",
      "/\t/evil.example",
      "/cairn/api/changes",
      "/cdn-cgi/local/explorer",
      "javascript:alert(1)",
      "",
    ]) {
      const answer = await signInForm(TOKEN, next);
      expect(answer.status, next).toBe(303);
      expect(answer.headers.get("location"), next).toBe(EXPLORER);
    }
    const form = await get(`${EXPLORER}sign-in?next=${encodeURIComponent("//evil.example")}`);
    expect(form.text).toContain(`<input type="hidden" name="next" value="${EXPLORER}">`);
    const kept = await signInForm(TOKEN, `${EXPLORER}workflows/../workflows/q?x=1`);
    expect(kept.headers.get("location")).toBe(`${EXPLORER}workflows/q?x=1`);
    // At the root base, paths that normalise to "//host" would leave the site.
    for (const next of ["/.//evil.example", "/%2e//evil.example", "/a/..//evil.example"]) {
      const answer = await get("/sign-in", {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TOKEN, next }).toString(),
      });
      expect(answer.status, next).toBe(303);
      expect(answer.headers.get("location"), next).toBe("/");
    }
  });

  it("refuses a sign-in posted from another site, and a form too large", async () => {
    server = await startApiServer(workflows, options);
    const foreign = await signInForm(TOKEN, EXPLORER, { origin: "https://evil.example" });
    expect(foreign.status).toBe(403);
    expect(foreign.headers.get("set-cookie")).toBeNull();
    expect(foreign.text).toContain('Invalid Origin header "https://evil.example"');
    const own = await signInForm(TOKEN, EXPLORER, { origin: server.url });
    expect(own.status).toBe(303);
    expect(own.headers.get("set-cookie")).toContain("cairn_session=v1.");
    const big = await signInForm(TOKEN, `${EXPLORER}${"x".repeat(9000)}`);
    expect(big.status).toBe(413);
    const json = await get(`${EXPLORER}sign-in`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ token: TOKEN }),
    });
    expect(json.status).toBe(415);
  });

  it("lets the session cookie call the API: reads as they are, writes only with the CSRF header", async () => {
    server = await startApiServer(workflows, options);
    const value = await signedIn();
    const cookie = { cookie: `cairn_session=${value}` };
    const read = await server.call("GET", `${EXPLORER}api/workflows`, undefined, cookie);
    expect(read.status).toBe(200);
    expect(read.body.result).toHaveLength(3);

    const create = `${EXPLORER}api/workflows/orders/instances`;
    const without = await server.call("POST", create, { id: "o-1" }, cookie);
    expect(without.status).toBe(403);
    expect(without.body.errors[0]).toMatchObject({ code: 10000, cairn_code: "auth.csrf" });
    expect(without.body.errors[0].message).toContain("'x-cairn-csrf' header");
    const forged = await server.call("POST", create, { id: "o-1" }, { ...cookie, "x-cairn-csrf": mac("x") });
    expect(forged.body.errors[0].cairn_code).toBe("auth.csrf");
    const csrf = { ...cookie, "x-cairn-csrf": csrfOf(value) };
    const created = await server.call("POST", create, { id: "o-1" }, csrf);
    expect(created.status).toBe(200);
    expect(created.body.result.id).toBe("o-1");

    const status = `${EXPLORER}api/workflows/orders/instances/o-1/status`;
    const patch = await server.call("PATCH", status, { status: "pause" }, cookie);
    expect(patch.status).toBe(403);
    expect(patch.body.errors[0].cairn_code).toBe("auth.csrf");
    const paused = await server.call("PATCH", status, { status: "pause" }, csrf);
    expect(paused.status).toBe(200);
    // A bearer request is as before: no CSRF header wanted, cookie or not.
    const bearer = { authorization: `Bearer ${TOKEN}` };
    expect((await server.call("PATCH", status, { status: "resume" }, bearer)).status).toBe(200);
    expect(
      (
        await server.call("DELETE", `${EXPLORER}api/workflows/orders/instances/o-1`, undefined, {
          ...bearer,
          ...cookie,
        })
      ).status,
    ).toBe(200);
    // A proxy's Basic sign-in in front of Cairn leaves the cookie to decide.
    const basic = { ...cookie, authorization: "Basic dXNlcjpwYXNz" };
    expect((await server.call("GET", `${EXPLORER}api/workflows`, undefined, basic)).status).toBe(200);
    expect((await get(EXPLORER, { headers: basic })).status).toBe(200);
    const wrongBearer = { ...cookie, authorization: "Bearer nope" };
    expect((await server.call("GET", `${EXPLORER}api/workflows`, undefined, wrongBearer)).status).toBe(401);
    // The preflight lets a page send the header.
    const preflight = await get(create, { method: "OPTIONS", headers: { origin: server.url } });
    expect(preflight.headers.get("access-control-allow-headers")).toContain("X-Cairn-CSRF");
  });

  it("refuses forged and expired cookies: 401 from the API, back to sign-in for a page", async () => {
    server = await startApiServer(workflows, options);
    const otherToken = `v1.${Date.now() + 60_000}.${createHmac("sha256", "another token")
      .update(`cairn-session:${Date.now() + 60_000}`)
      .digest("base64url")}`;
    for (const value of [
      cookieValue(Date.now() - 1000),
      `v1.${Date.now() + 60_000}.${mac("cairn-session:1")}`,
      `v1.${Date.now() + 60_000}.${"A".repeat(43)}`,
      otherToken,
      "nonsense",
      "",
    ]) {
      const cookie = { cookie: `cairn_session=${value}` };
      const api = await server.call("GET", `${EXPLORER}api/workflows`, undefined, cookie);
      expect(api.status, value).toBe(401);
      expect(api.body.errors[0].cairn_code).toBe("auth.invalid");
      expect(api.body.errors[0].message).toContain("sign in again");
      const page = await get(`${EXPLORER}workflows`, { headers: cookie });
      expect(page.status).toBe(303);
      expect(page.headers.get("location")).toBe(
        `${EXPLORER}sign-in?next=${encodeURIComponent(`${EXPLORER}workflows`)}`,
      );
      expect(page.headers.get("set-cookie")).toBe(
        "cairn_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
      );
    }
    // One good cookie among stale ones is enough.
    const value = await signedIn();
    const mixed = { cookie: `cairn_session=nonsense; cairn_session=${value}` };
    expect((await server.call("GET", `${EXPLORER}api/workflows`, undefined, mixed)).status).toBe(200);
  });

  it("signs out only with the session's CSRF token, and clears the cookie", async () => {
    server = await startApiServer(workflows, options);
    const value = await signedIn();
    const form = (body: Record<string, string>, headers: Record<string, string> = {}) =>
      get(`${EXPLORER}sign-out`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
        body: new URLSearchParams(body).toString(),
      });
    const cookie = { cookie: `cairn_session=${value}` };
    for (const answer of [
      await form({}, cookie),
      await form({ csrf: "wrong" }, cookie),
      await get(`${EXPLORER}sign-out`, { method: "POST", headers: cookie }),
      await form({ csrf: csrfOf(value) }),
    ]) {
      expect(answer.status).toBe(403);
      expect(answer.headers.get("set-cookie")).toBeNull();
    }
    const out = await form({ csrf: csrfOf(value) }, cookie);
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe(`${EXPLORER}sign-in`);
    expect(out.headers.get("set-cookie")).toBe(
      "cairn_session=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0",
    );
    const byHeader = await get("/sign-out", {
      method: "POST",
      headers: { ...cookie, "x-cairn-csrf": csrfOf(value) },
    });
    expect(byHeader.status).toBe(303);
    expect(byHeader.headers.get("location")).toBe("/sign-in");
    expect((await get(`${EXPLORER}sign-out`)).status).toBe(405);
  });

  it("marks the cookie Secure when the dashboard is reached over https", async () => {
    server = await startApiServer(workflows, options);
    const api = createApiHandler({ target: server.cairn, ...options });
    const answer = await api.fetch(
      new Request(`https://localhost${EXPLORER}sign-in`, {
        method: "POST",
        headers: { host: "localhost", "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: TOKEN, next: EXPLORER }),
      }),
    );
    expect(answer.status).toBe(303);
    expect(answer.headers.get("set-cookie")).toMatch(/; Max-Age=604800; Secure$/);
  });
});
