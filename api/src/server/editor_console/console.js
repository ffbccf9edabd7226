// newsgraph editor console. Plain JavaScript, no dependencies: it is served
// from the binary and must work offline. Tokens live in sessionStorage (this
// tab only), travel in the Authorization header or the WebSocket
// connection_init payload, and are never put in a URL or logged.
"use strict";

(() => {
  // ---------------------------------------------------------------------
  // GraphQL documents: every query, mutation and subscription in one place.
  // ---------------------------------------------------------------------
  const ARTICLE_FIELDS = `
    fragment ArticleFields on Article {
      id title webUrl publishedAt removed quality heat published version scoreBreakdown
      source { quality heat published }
      publication { published decidedBy override reason editor at scoredAt automaticReasons }
      lead { id title }
      provider { id name domain }
      topics { id slug name }
    }`;

  const Q = {
    articles: `query EditorArticles($filter: ArticleFilter, $first: Int, $after: String) {
      articles(filter: $filter, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { ...ArticleFields }
      }
    }${ARTICLE_FIELDS}`,

    search: `query EditorSearch($text: String!, $filter: ArticleFilter, $first: Int, $after: String) {
      search(query: $text, filter: $filter, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { ...ArticleFields }
      }
    }${ARTICLE_FIELDS}`,

    article: `query EditorArticle($id: ID!) { article(id: $id) { ...ArticleFields } }${ARTICLE_FIELDS}`,

    facets: `query EditorFacets {
      topics { id name children { id name children { id name children { id name } } } }
      providers(first: 100) { nodes { id name domain } }
    }`,

    history: `query EditorHistory($articleId: ID!, $first: Int, $after: String) {
      editorialHistory(articleId: $articleId, first: $first, after: $after) {
        totalCount
        pageInfo { hasNextPage endCursor }
        nodes { id action reason editor createdAt before after }
      }
    }`,

    publish: `mutation EditorPublish($id: ID!, $reason: String!, $expectedVersion: Int) {
      publishArticle(id: $id, reason: $reason, expectedVersion: $expectedVersion) { article { ...ArticleFields } }
    }${ARTICLE_FIELDS}`,

    unpublish: `mutation EditorUnpublish($id: ID!, $reason: String!, $expectedVersion: Int) {
      unpublishArticle(id: $id, reason: $reason, expectedVersion: $expectedVersion) { article { ...ArticleFields } }
    }${ARTICLE_FIELDS}`,

    clear: `mutation EditorClearOverride($id: ID!, $reason: String, $expectedVersion: Int) {
      clearPublicationOverride(id: $id, reason: $reason, expectedVersion: $expectedVersion) { article { ...ArticleFields } }
    }${ARTICLE_FIELDS}`,

    recompute: `mutation EditorRecompute($id: ID!, $reason: String) {
      recomputeArticle(id: $id, reason: $reason) { article { ...ArticleFields } }
    }${ARTICLE_FIELDS}`,

    publicationChanged: `subscription EditorPublicationChanged {
      articlePublicationChanged { kind published receivedAt article { ...ArticleFields } }
    }${ARTICLE_FIELDS}`,

    rescored: `subscription EditorRescored {
      articleRescored { kind published receivedAt article { ...ArticleFields } }
    }${ARTICLE_FIELDS}`,
  };

  // The `ArticleFilter` for the state picked in the form.
  const STATE_FILTERS = {
    published: { published: true },
    unpublished: { published: false },
    overridden: { overridden: true },
    all: {},
  };

  // Whether an article (as the API returns it) belongs to a state's list.
  const IN_STATE = {
    published: (a) => a.published,
    unpublished: (a) => !a.published,
    overridden: (a) => a.publication && a.publication.decidedBy === "EDITOR",
    all: () => true,
  };

  // The article inside a subscription event or a mutation payload.
  const articleOf = (value) => (value && value.article) || value;

  // Hints for the error codes the API puts in `extensions.code`.
  const HINTS = {
    UNAUTHENTICATED: "The token is missing, unknown or revoked. Paste a valid editor token.",
    FORBIDDEN: "This token's role may not do that: an editor or admin token is needed.",
    CONFLICT: "Someone changed this article in the meantime; it has been reloaded. Check it and try again.",
    NOT_FOUND: "The article no longer exists or is not visible to you.",
    BAD_USER_INPUT: "The request was refused as it stands.",
    NETWORK: "The server could not be reached.",
  };

  const PAGE_SIZE = 30;
  const HISTORY_PAGE = 20;
  const TOKEN_KEY = "newsgraph.editorToken";

  // ---------------------------------------------------------------------
  // State and DOM
  // ---------------------------------------------------------------------
  const $ = (id) => document.getElementById(id);
  const state = {
    token: sessionStorage.getItem(TOKEN_KEY) || "",
    list: [], // articles shown, in order
    byId: new Map(), // id -> latest article seen
    cursor: null,
    hasMore: false,
    selected: null, // id
    historyCursor: null,
    listRequest: 0,
  };

  // ---------------------------------------------------------------------
  // GraphQL over HTTP
  // ---------------------------------------------------------------------
  class ApiError extends Error {
    constructor(errors) {
      const first = errors[0] || {};
      super(first.message || "request failed");
      this.errors = errors;
      this.code = (first.extensions && first.extensions.code) || "ERROR";
    }
  }

  async function gql(query, variables = {}) {
    const headers = { "content-type": "application/json", accept: "application/json" };
    if (state.token) headers.authorization = `Bearer ${state.token}`;
    let response;
    try {
      response = await fetch("/graphql", {
        method: "POST",
        headers,
        body: JSON.stringify({ query, variables }),
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
    } catch (_) {
      throw new ApiError([{ message: "the request did not reach the server", extensions: { code: "NETWORK" } }]);
    }
    let body = null;
    try {
      body = await response.json();
    } catch (_) {
      throw new ApiError([{ message: `HTTP ${response.status}`, extensions: { code: `HTTP_${response.status}` } }]);
    }
    if (body.errors && body.errors.length) throw new ApiError(body.errors);
    return body.data;
  }

  // ---------------------------------------------------------------------
  // Messages
  // ---------------------------------------------------------------------
  function showError(error) {
    const code = error.code || "ERROR";
    $("error-code").textContent = code;
    const hint = HINTS[code] ? ` ${HINTS[code]}` : "";
    $("error-message").textContent = `${error.message}.${hint}`.replace(/\.\./g, ".");
    $("error").hidden = false;
    document.body.dataset.lastError = code;
  }

  function clearError() {
    $("error").hidden = true;
    delete document.body.dataset.lastError;
  }

  function notice(text) {
    const el = document.createElement("div");
    el.className = "notice";
    el.textContent = text;
    $("notices").append(el);
    setTimeout(() => el.remove(), 8000);
    while ($("notices").childElementCount > 4) $("notices").firstElementChild.remove();
  }

  // ---------------------------------------------------------------------
  // Token
  // ---------------------------------------------------------------------
  function setToken(token) {
    state.token = token;
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
    $("token").value = "";
    $("token").placeholder = token ? "token in use (paste another to replace it)" : "ngt_…";
    $("token-forget").hidden = !token;
    document.body.dataset.token = token ? "set" : "none";
    live.restart();
  }

  // ---------------------------------------------------------------------
  // Article list
  // ---------------------------------------------------------------------
  function currentFilter() {
    const stateName = $("f-state").value;
    const filter = { ...STATE_FILTERS[stateName] };
    if ($("f-topic").value) filter.topic = $("f-topic").value;
    if ($("f-provider").value) filter.provider = $("f-provider").value;
    return { stateName, filter, text: $("f-text").value.trim() };
  }

  async function loadArticles(append = false) {
    const { filter, text } = currentFilter();
    const request = ++state.listRequest;
    const variables = { filter, first: PAGE_SIZE, after: append ? state.cursor : null };
    document.body.dataset.listState = "loading";
    try {
      const data = text ? await gql(Q.search, { ...variables, text }) : await gql(Q.articles, variables);
      if (request !== state.listRequest) return; // a newer search won
      const page = text ? data.search : data.articles;
      if (!append) state.list = [];
      for (const article of page.nodes) remember(article);
      state.list.push(...page.nodes.map((a) => a.id));
      state.cursor = page.pageInfo.endCursor;
      state.hasMore = page.pageInfo.hasNextPage;
      state.total = page.totalCount;
      clearError();
      renderList();
      document.body.dataset.listState = "loaded";
    } catch (error) {
      if (request !== state.listRequest) return;
      document.body.dataset.listState = "error";
      showError(error);
    }
  }

  function remember(article) {
    state.byId.set(article.id, article);
    return article;
  }

  function fmtScore(value) {
    return value === null || value === undefined ? "–" : String(value);
  }

  function fmtTime(value) {
    if (!value) return "–";
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? value : date.toLocaleString();
  }

  function badges(article) {
    const out = [];
    if (article.removed) out.push(["removed", "Removed"]);
    out.push(article.published ? ["published", "Published"] : ["unpublished", "Unpublished"]);
    const p = article.publication || {};
    if (p.decidedBy === "EDITOR") out.push(["override", p.override === "UNPUBLISH" ? "Editor: unpublish" : "Editor: publish"]);
    return out.map(([cls, text]) => {
      const span = document.createElement("span");
      span.className = `badge ${cls}`;
      span.textContent = text;
      return span;
    });
  }

  function rowFor(article) {
    const li = document.createElement("li");
    li.dataset.id = article.id;
    li.dataset.published = String(article.published);
    if (article.id === state.selected) li.setAttribute("aria-current", "true");
    const button = document.createElement("button");
    button.type = "button";
    button.className = "row";
    const title = document.createElement("span");
    title.className = "title";
    title.textContent = article.title;
    title.append(...badges(article));
    const sub = document.createElement("span");
    sub.className = "sub";
    const topics = (article.topics || []).map((t) => t.name).join(", ");
    sub.textContent = [article.provider ? article.provider.name : null, fmtTime(article.publishedAt), topics]
      .filter(Boolean)
      .join(" · ");
    const scores = document.createElement("span");
    scores.className = "scores";
    scores.textContent = `Q ${fmtScore(article.quality)} · H ${fmtScore(article.heat)}`;
    scores.title = "Quality · Heat";
    button.append(title, sub, scores);
    button.addEventListener("click", () => select(article.id));
    li.append(button);
    return li;
  }

  function renderList() {
    const ul = $("articles");
    ul.replaceChildren(...state.list.map((id) => rowFor(state.byId.get(id))));
    const shown = state.list.length;
    $("list-summary").textContent =
      shown === 0 ? "No articles match." : `${shown} of ${state.total ?? shown} article${state.total === 1 ? "" : "s"}`;
    $("more").hidden = !state.hasMore;
  }

  function replaceRow(article, flash) {
    const old = $("articles").querySelector(`li[data-id="${CSS.escape(article.id)}"]`);
    if (!old) return;
    const row = rowFor(article);
    if (flash) row.classList.add("flash");
    old.replaceWith(row);
  }

  // A newer state of an article arrived (our mutation, or a live event).
  // Returns what happened to it in the list: "left", "updated", "outside".
  function applyArticle(article, { flash = true } = {}) {
    const known = state.byId.get(article.id);
    if (known && known.version > article.version) return "stale";
    remember(article);
    const { stateName } = currentFilter();
    const listed = state.list.includes(article.id);
    let outcome = "outside";
    if (listed && !IN_STATE[stateName](article)) {
      state.list = state.list.filter((id) => id !== article.id);
      if (typeof state.total === "number") state.total -= 1;
      renderList();
      outcome = "left";
    } else if (listed) {
      replaceRow(article, flash);
      outcome = "updated";
    }
    if (article.id === state.selected) {
      renderDetail(article);
      loadHistory(false);
    }
    return outcome;
  }

  // ---------------------------------------------------------------------
  // Detail, actions, history
  // ---------------------------------------------------------------------
  async function select(id) {
    state.selected = id;
    for (const li of $("articles").children) {
      if (li.dataset.id === id) li.setAttribute("aria-current", "true");
      else li.removeAttribute("aria-current");
    }
    const cached = state.byId.get(id);
    if (cached) renderDetail(cached);
    $("detail-heading").focus();
    try {
      const data = await gql(Q.article, { id });
      if (data.article) renderDetail(remember(data.article));
    } catch (error) {
      showError(error);
    }
    loadHistory(false);
  }

  function renderDetail(article) {
    $("detail-empty").hidden = true;
    $("detail").hidden = false;
    $("detail").dataset.id = article.id;
    $("d-title").textContent = article.title;
    $("d-provider").textContent = article.provider ? `${article.provider.name} (${article.provider.domain})` : "no provider";
    $("d-published-at").textContent = fmtTime(article.publishedAt);
    $("d-link").href = /^https?:\/\//i.test(article.webUrl) ? article.webUrl : "#";
    $("d-topics").replaceChildren(
      ...(article.topics || []).map((t) => {
        const chip = document.createElement("span");
        chip.className = "chip";
        chip.textContent = t.name;
        return chip;
      }),
    );
    $("d-state").replaceChildren(...badges(article));
    $("d-quality").textContent = fmtScore(article.quality);
    $("d-heat").textContent = fmtScore(article.heat);
    $("d-version").textContent = String(article.version);
    const p = article.publication || {};
    let decision;
    if (p.decidedBy === "EDITOR") {
      decision = `Decided by an editor${p.editor ? ` (${p.editor})` : ""}: ${p.override === "UNPUBLISH" ? "unpublish" : "publish"}`;
      if (p.reason) decision += ` — “${p.reason}”`;
      if (p.at) decision += `, ${fmtTime(p.at)}`;
    } else {
      decision = "Decided by the scoring worker";
      if (p.scoredAt) decision += `, scored ${fmtTime(p.scoredAt)}`;
    }
    $("d-decision").textContent = `${decision}.`;
    renderRules(article, p);
    $("act-clear").disabled = p.decidedBy !== "EDITOR";
    renderBreakdown(article.scoreBreakdown);
  }

  // What the rules alone decide (they still speak under an editor's
  // override), and the lead of the article's coverage group.
  function renderRules(article, p) {
    const reasons = p.automaticReasons;
    $("d-rules").textContent = !reasons
      ? ""
      : reasons.length
        ? `The rules alone hold it back: ${reasons.join("; ")}.`
        : "The rules alone publish it.";
    const box = $("d-lead");
    const lead = article.lead;
    if (!lead) {
      box.textContent = "No article of its coverage group is published.";
    } else if (lead.id === article.id) {
      box.textContent = "It leads its coverage group.";
    } else {
      const link = document.createElement("button");
      link.type = "button";
      link.className = "link";
      link.textContent = lead.title;
      link.addEventListener("click", () => select(lead.id));
      box.replaceChildren(document.createTextNode("Lead of its coverage group: "), link);
    }
  }

  function renderBreakdown(breakdown) {
    const box = $("d-breakdown");
    if (breakdown === null || breakdown === undefined) {
      const p = document.createElement("p");
      p.className = "muted";
      p.textContent = "No breakdown (not scored yet, or not visible to this token).";
      box.replaceChildren(p);
      return;
    }
    const table = document.createElement("table");
    table.className = "breakdown";
    const rows = [];
    const walk = (value, path) => {
      if (value && typeof value === "object" && !Array.isArray(value)) {
        for (const [key, inner] of Object.entries(value)) walk(inner, path ? `${path}.${key}` : key);
      } else {
        rows.push([path || "value", Array.isArray(value) ? JSON.stringify(value) : String(value)]);
      }
    };
    walk(breakdown, "");
    for (const [key, value] of rows) {
      const tr = document.createElement("tr");
      const th = document.createElement("th");
      th.scope = "row";
      th.textContent = key;
      const td = document.createElement("td");
      td.textContent = value;
      tr.append(th, td);
      table.append(tr);
    }
    box.replaceChildren(table);
  }

  async function loadHistory(append) {
    const id = state.selected;
    if (!id) return;
    try {
      const data = await gql(Q.history, {
        articleId: id,
        first: HISTORY_PAGE,
        after: append ? state.historyCursor : null,
      });
      if (id !== state.selected) return;
      const page = data.editorialHistory;
      const items = page.nodes.map(historyItem);
      if (append) $("history").append(...items);
      else $("history").replaceChildren(...items);
      if (!append && items.length === 0) {
        const li = document.createElement("li");
        li.className = "muted";
        li.textContent = "No editorial actions yet.";
        $("history").replaceChildren(li);
      }
      state.historyCursor = page.pageInfo.endCursor;
      $("history-more").hidden = !page.pageInfo.hasNextPage;
    } catch (error) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = `History unavailable (${error.code}).`;
      $("history").replaceChildren(li);
    }
  }

  const ACTION_NAMES = {
    PUBLISH: "Published",
    UNPUBLISH: "Unpublished",
    CLEAR_OVERRIDE: "Override cleared",
    RECOMPUTE: "Recompute requested",
  };

  function historyItem(event) {
    const li = document.createElement("li");
    const what = document.createElement("span");
    what.className = "what";
    what.textContent = ACTION_NAMES[event.action] || event.action;
    const who = document.createTextNode(` by ${event.editor} `);
    const when = document.createElement("span");
    when.className = "when";
    when.textContent = fmtTime(event.createdAt);
    li.append(what, who, when);
    if (event.reason) {
      const why = document.createElement("span");
      why.className = "why";
      why.textContent = `“${event.reason}”`;
      li.append(why);
    }
    return li;
  }

  async function act(action) {
    const id = state.selected;
    const article = state.byId.get(id);
    if (!id || !article) return;
    const reason = $("reason").value.trim();
    if ((action === "publish" || action === "unpublish") && !reason) {
      showError({ code: "BAD_USER_INPUT", message: "Give a reason for the decision" });
      $("reason").focus();
      return;
    }
    const variables = { id };
    if (reason) variables.reason = reason;
    if (action !== "recompute") variables.expectedVersion = article.version;
    const buttons = document.querySelectorAll(".action-form button");
    buttons.forEach((b) => (b.disabled = true));
    try {
      const data = await gql(Q[action], variables);
      const updated = articleOf(Object.values(data)[0]);
      clearError();
      $("reason").value = "";
      if (updated) {
        const outcome = applyArticle(updated);
        if (outcome === "left") notice(`“${updated.title}” left this list.`);
      }
      loadHistory(false);
    } catch (error) {
      showError(error);
      if (error.code === "CONFLICT") select(id);
    } finally {
      buttons.forEach((b) => (b.disabled = false));
      if (state.byId.get(id)) $("act-clear").disabled = (state.byId.get(id).publication || {}).decidedBy !== "EDITOR";
    }
  }

  // ---------------------------------------------------------------------
  // Facets
  // ---------------------------------------------------------------------
  async function loadFacets() {
    try {
      const data = await gql(Q.facets);
      const topicOptions = [new Option("Any topic", "")];
      const walk = (topics, depth) => {
        for (const t of topics || []) {
          topicOptions.push(new Option(`${"  ".repeat(depth)}${depth ? "└ " : ""}${t.name}`, t.id));
          walk(t.children, depth + 1);
        }
      };
      walk(data.topics, 0);
      const keepTopic = $("f-topic").value;
      $("f-topic").replaceChildren(...topicOptions);
      $("f-topic").value = keepTopic;
      const keepProvider = $("f-provider").value;
      $("f-provider").replaceChildren(
        new Option("Any provider", ""),
        ...data.providers.nodes.map((p) => new Option(`${p.name} (${p.domain})`, p.id)),
      );
      $("f-provider").value = keepProvider;
    } catch (error) {
      showError(error);
    }
  }

  // ---------------------------------------------------------------------
  // Live updates: a small graphql-transport-ws client.
  // ---------------------------------------------------------------------
  const live = (() => {
    let socket = null;
    let retry = 0;
    let timer = null;
    let generation = 0;
    const subscriptions = {
      1: { query: Q.publicationChanged, kind: "publication" },
      2: { query: Q.rescored, kind: "rescored" },
    };

    function setStatus(status, text) {
      $("live").dataset.state = status;
      $("live-text").textContent = text;
      document.body.dataset.live = status;
    }

    function start() {
      const mine = ++generation;
      const url = `${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/graphql/ws`;
      setStatus("connecting", "Live updates: connecting…");
      let ws;
      try {
        ws = new WebSocket(url, "graphql-transport-ws");
      } catch (_) {
        setStatus("error", "Live updates unavailable");
        return;
      }
      socket = ws;
      ws.addEventListener("open", () => {
        const payload = state.token ? { authorization: `Bearer ${state.token}` } : {};
        ws.send(JSON.stringify({ type: "connection_init", payload }));
      });
      ws.addEventListener("message", (message) => {
        if (mine !== generation) return;
        let msg;
        try {
          msg = JSON.parse(message.data);
        } catch (_) {
          return;
        }
        switch (msg.type) {
          case "connection_ack":
            retry = 0;
            for (const [id, sub] of Object.entries(subscriptions)) {
              ws.send(JSON.stringify({ id, type: "subscribe", payload: { query: sub.query } }));
            }
            setStatus("connected", "Live updates on");
            break;
          case "ping":
            ws.send(JSON.stringify({ type: "pong", payload: msg.payload }));
            break;
          case "next":
            onNext(subscriptions[msg.id], msg.payload);
            break;
          case "error":
            setStatus("error", "Live updates refused");
            showError(new ApiError(Array.isArray(msg.payload) ? msg.payload : [msg.payload || {}]));
            break;
          case "complete":
            break;
          default:
            break;
        }
      });
      ws.addEventListener("close", (event) => {
        if (mine !== generation) return;
        socket = null;
        // The server refused the token (a close reason such as
        // "UNAUTHENTICATED: ...", or 4401/4403): say so, do not hammer it.
        const refused = /^([A-Z_]+):\s*(.*)$/.exec(event.reason || "");
        if (refused || event.code === 4401 || event.code === 4403) {
          setStatus("error", "Live updates refused");
          const code = refused ? refused[1] : event.code === 4401 ? "UNAUTHENTICATED" : "FORBIDDEN";
          showError({ code, message: refused ? refused[2] : "the server refused the live connection" });
          return;
        }
        setStatus("connecting", "Live updates: reconnecting…");
        const delay = Math.min(30000, 500 * 2 ** retry++);
        timer = setTimeout(start, delay);
      });
    }

    function stop() {
      generation++;
      clearTimeout(timer);
      if (socket) {
        try {
          for (const id of Object.keys(subscriptions)) socket.send(JSON.stringify({ id, type: "complete" }));
        } catch (_) {
          /* closing anyway */
        }
        socket.close(1000, "restart");
        socket = null;
      }
    }

    function onNext(sub, payload) {
      if (!sub || !payload) return;
      if (payload.errors && payload.errors.length) {
        showError(new ApiError(payload.errors));
        return;
      }
      const data = payload.data || {};
      const article = articleOf(Object.values(data)[0]);
      if (!article || !article.id) return;
      const before = state.byId.get(article.id);
      if (before && before.version === article.version && before.published === article.published) return; // ours, seen
      const outcome = applyArticle(article);
      if (sub.kind === "publication") {
        const p = article.publication || {};
        const verb = article.published ? "published" : "unpublished";
        const by = p.decidedBy === "EDITOR" && p.editor ? ` by ${p.editor}` : p.decidedBy === "WORKER" ? " by the worker" : "";
        const where = outcome === "left" ? " It left this list." : outcome === "outside" && IN_STATE[currentFilter().stateName](article) ? " Search again to list it." : "";
        notice(`“${article.title}” was ${verb}${by}.${where}`);
      }
      document.body.dataset.liveEvents = String(Number(document.body.dataset.liveEvents || 0) + 1);
    }

    return {
      restart() {
        stop();
        start();
      },
    };
  })();

  // ---------------------------------------------------------------------
  // Wiring
  // ---------------------------------------------------------------------
  function init() {
    $("token-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const value = $("token").value.trim();
      if (!value) {
        $("token").focus();
        return;
      }
      setToken(value);
      clearError();
      loadFacets();
      loadArticles(false);
    });
    $("token-forget").addEventListener("click", () => {
      setToken("");
      loadArticles(false);
      $("token").focus();
    });
    $("filters").addEventListener("submit", (event) => {
      event.preventDefault();
      loadArticles(false);
    });
    for (const id of ["f-state", "f-topic", "f-provider"]) {
      $(id).addEventListener("change", () => loadArticles(false));
    }
    $("more").addEventListener("click", () => loadArticles(true));
    $("history-more").addEventListener("click", () => loadHistory(true));
    $("error-close").addEventListener("click", clearError);
    for (const button of document.querySelectorAll(".action-form button[data-action]")) {
      button.addEventListener("click", () => act(button.dataset.action));
    }
    $("reason").addEventListener("keydown", (event) => {
      if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        const article = state.byId.get(state.selected);
        if (article) act(article.published ? "unpublish" : "publish");
      }
    });

    setToken(state.token);
    loadFacets();
    loadArticles(false);
    document.body.dataset.ready = "true";
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
