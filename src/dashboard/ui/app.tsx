// The dashboard's shell: a header (home link, the feed's state, sign-out when signed in), and
// the page the address names: the overview, a workflow's instances, or one instance (with an
// open step in `?step=`).

import { Link, Route, Router, Switch } from "wouter-preact";
import { config, routerBase } from "./config.js";
import { useFeedState } from "./hooks.js";
import { InstancePage } from "./pages/instance.js";
import { InstancesPage } from "./pages/instances.js";
import { OverviewPage } from "./pages/overview.js";

const FEED_LABELS = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  closed: "Not live: reload to reconnect",
};

function FeedIndicator() {
  const state = useFeedState();
  return (
    <span class={`feed feed-${state}`} role="status" aria-live="polite">
      <span class="feed-dot" aria-hidden="true" />
      {FEED_LABELS[state]}
    </span>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Nothing here</h1>
      <p>
        This address is not a page of the dashboard. <Link href="/">See every workflow</Link>.
      </p>
    </section>
  );
}

export function App() {
  return (
    <Router base={routerBase}>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Link href="/" class="brand">
          <span aria-hidden="true">▲</span> Cairn
        </Link>
        <FeedIndicator />
        {config.signedIn && (
          <form method="post" action={`${config.base}sign-out`} class="sign-out">
            <input type="hidden" name="csrf" value={config.csrf} />
            <button type="submit">Sign out</button>
          </form>
        )}
      </header>
      <main id="main" tabIndex={-1}>
        <Switch>
          <Route path="/" component={OverviewPage} />
          <Route path="/workflows/:name" component={InstancesPage} />
          <Route path="/workflows/:name/instances/:id">
            {(params) => <InstancePage key={`${params.name}/${params.id}`} params={params} />}
          </Route>
          <Route component={NotFound} />
        </Switch>
      </main>
    </Router>
  );
}
