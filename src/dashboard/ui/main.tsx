// The dashboard's entry point: reads what the server put in the page (base path, CSRF token)
// and renders the app into #app.

import { render } from "preact";
import { App } from "./app.js";
import "./app.css";

const root = document.getElementById("app");
if (root) render(<App />, root);
