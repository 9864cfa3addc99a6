/** GET / for a person: what this is and where to go. A client asking for JSON gets LINKS. */
export const LINKS = {
  name: "Quota checker",
  description:
    "Allow/deny answers before each metered action of a CRM workspace: AI credits, leads, contacts and companies, channels and AI agents.",
  docs: "/docs",
  openapi: "/openapi.json",
  app: "/app",
  api: "/v1/workspaces/{ws}",
} as const;

export const HOME_PAGE = (stylesheet: string) => `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${LINKS.name}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${stylesheet}">
</head>
<body>
<main class="home">
<h1>${LINKS.name}</h1>
<p>${LINKS.description}</p>
<div class="op"><h2 class="plain"><a href="${LINKS.app}">Billing page</a></h2>
<p>For people: sign in with a token to see a workspace's usage, manage its AI credits and its AI agents.</p></div>
<div class="op"><h2 class="plain"><a href="${LINKS.docs}">API reference</a></h2>
<p>For developers: every route, its parameters, answers and error codes. Also as <a href="${LINKS.openapi}">openapi.json</a>.</p></div>
</main>
</body>
</html>`;
