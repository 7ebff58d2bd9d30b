// The playground page: two CodeMirror editors and the panels, over the server's /api calls.
// Every pause in typing sends the schema and the sample to /api/run; the answer fills the lint
// markers, the problems, the results and the explain of the sample line under the cursor. One run
// is in flight at a time: changes made meanwhile are sent, as they are then, when it returns, so
// the server never works on text the page has moved past.
"use strict";

(function () {
  const $ = (id) => document.getElementById(id);
  const DELAY_MS = 250;
  let timer = null; // the pending run
  let running = false; // a run is in flight
  let again = false; // something changed while it was
  let loadedName = null; // the schema name of the last run that loaded the schema

  // CodeMirror counts UTF-16 units in a line; the server counts code points (Python's str).
  const toPoints = (text, units) => Array.from(text.slice(0, units)).length;
  function toUnits(text, points) {
    let units = 0;
    for (const ch of text) {
      if (points-- <= 0) break;
      units += ch.length;
    }
    return units;
  }

  async function call(path, body) {
    const response = await fetch(path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const kind = response.headers.get("content-type") || "";
    const data = kind.startsWith("application/json") ? await response.json() : await response.text();
    if (!response.ok) throw new Error(data.error || String(data));
    return data;
  }

  const count = (n, noun) => `${n} ${noun}${n === 1 ? "" : "s"}`;

  function status(text, isError) {
    $("status").textContent = text;
    $("status").classList.toggle("error", Boolean(isError));
  }

  // --- the schema editor: YAML, lint markers, completion ----------------------------------------

  let lintUpdate = null; // the lint addon's callback for the text being linted

  function annotations(diagnostics, cm) {
    return diagnostics.map((d) => {
      const line = Math.min(Math.max(0, (d.line || 1) - 1), cm.lastLine());
      const text = cm.getLine(line) || "";
      const ch = Math.min(toUnits(text, Math.max(0, (d.col || 1) - 1)), text.length);
      const word = /^[^\s:,\]}]+/.exec(text.slice(ch));
      const end = ch + (word ? word[0].length : 1);
      return {
        from: CodeMirror.Pos(line, ch),
        to: CodeMirror.Pos(line, end),
        message: `${d.message} [${d.rule}]`,
        severity: d.severity,
      };
    });
  }

  function hint(cm, callback) {
    const cursor = cm.getCursor();
    const col = toPoints(cm.getLine(cursor.line), cursor.ch);
    call("/api/complete", { schema: cm.getValue(), line: cursor.line, col })
      .then((answer) => {
        if (!answer.items.length) return callback(null);
        const text = cm.getLine(answer.line) || "";
        callback({
          list: answer.items.map((item) => ({
            text: item.text,
            displayText: item.label,
            render(element) {
              element.appendChild(document.createTextNode(item.label));
              if (item.detail) {
                const small = document.createElement("small");
                small.textContent = item.detail.length > 80 ? item.detail.slice(0, 79) + "…" : item.detail;
                element.append(" ", small);
              }
            },
          })),
          from: CodeMirror.Pos(answer.line, toUnits(text, answer.start)),
          to: CodeMirror.Pos(answer.line, toUnits(text, answer.end)),
        });
      })
      .catch(() => callback(null));
  }
  hint.async = true;

  const schema = CodeMirror($("schema"), {
    mode: "yaml",
    lineNumbers: true,
    indentUnit: 2,
    tabSize: 2,
    styleActiveLine: true,
    gutters: ["CodeMirror-lint-markers", "CodeMirror-linenumbers"],
    lint: {
      async: true,
      delay: DELAY_MS,
      getAnnotations(text, update) {
        lintUpdate = update;
        schedule();
      },
    },
    extraKeys: {
      "Ctrl-Space": (cm) => cm.showHint({ hint, completeSingle: false }),
      Tab: (cm) => cm.execCommand(cm.somethingSelected() ? "indentMore" : "insertSoftTab"),
    },
  });
  schema.on("inputRead", (cm, change) => {
    if (cm.state.completionActive || change.origin !== "+input") return;
    if (/^[A-Za-z]$/.test(change.text.join(""))) cm.showHint({ hint, completeSingle: false });
  });

  // --- the sample editor and the panels ---------------------------------------------------------

  const sample = CodeMirror($("sample"), { lineNumbers: true, styleActiveLine: true, lineWrapping: false });

  function showProblems(diagnostics) {
    const list = $("problems");
    list.replaceChildren();
    if (!diagnostics.length) {
      const li = document.createElement("li");
      li.className = "none";
      li.textContent = "No problems found.";
      list.appendChild(li);
      return;
    }
    for (const d of diagnostics) {
      const li = document.createElement("li");
      li.className = d.severity;
      li.textContent = d.text;
      li.dataset.line = d.line || "";
      li.addEventListener("click", () => {
        if (!d.line) return;
        schema.focus();
        schema.setCursor(CodeMirror.Pos(d.line - 1, Math.max(0, (d.col || 1) - 1)));
      });
      list.appendChild(li);
    }
  }

  function showResults(answer) {
    const list = $("results");
    list.replaceChildren();
    for (const r of answer.results || []) {
      const li = document.createElement("li");
      const kind = document.createElement("span");
      kind.className = "kind";
      li.dataset.line = r.line;
      if ("event" in r) {
        li.className = "event";
        kind.textContent = `${r.line} event`;
        li.append(kind, " ", JSON.stringify(r.event));
      } else if ("reject" in r) {
        li.className = "reject";
        kind.textContent = `${r.line} reject`;
        li.append(kind, " ", `${r.reject.reason}: ${r.reject.message}`);
      } else {
        li.className = "skipped";
        kind.textContent = `${r.line} skipped`;
        li.append(kind, " ", r.skipped);
      }
      li.addEventListener("click", () => {
        sample.focus();
        sample.setCursor(CodeMirror.Pos(r.line - 1, 0));
      });
      list.appendChild(li);
    }
    markCurrent();
  }

  function markCurrent() {
    const line = String(sample.getCursor().line + 1);
    for (const li of $("results").children) li.classList.toggle("current", li.dataset.line === line);
  }

  function showStatus(answer) {
    const problems = answer.diagnostics.filter((d) => d.severity === "error").length;
    if (answer.schema === null) {
      status(`the schema has ${count(problems, "error")}: see Problems`, true);
      return;
    }
    const c = answer.counts;
    let text = `${answer.schema}: ${count(c.events, "event")}, ${count(c.rejects, "reject")}, ${c.skipped} skipped of ${count(c.lines, "line")}`;
    if (answer.left_out) text += ` (${answer.left_out})`;
    status(text, false);
  }

  // --- running ---------------------------------------------------------------------------------

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(refresh, DELAY_MS);
  }

  async function refresh() {
    if (running) {
      again = true;
      return;
    }
    running = true;
    again = false;
    const sent = schema.getValue();
    const cursor = sample.getCursor().line + 1;
    let answer = null;
    try {
      answer = await call("/api/run", { schema: sent, sample: sample.getValue(), cursor });
    } catch (error) {
      status(error.message, true);
    }
    running = false;
    if (answer) show(answer, sent, cursor);
    if (again) refresh();
  }

  function show(answer, sent, cursor) {
    if (schema.getValue() === sent) {
      // markers measured on the text they were found in; else the next run brings them
      if (lintUpdate) lintUpdate(annotations(answer.diagnostics, schema));
      showProblems(answer.diagnostics);
    }
    showStatus(answer);
    if (answer.schema === null) return; // keep the last results: they are what the schema last gave
    loadedName = answer.schema;
    showResults(answer);
    $("explain-line").textContent = answer.explain ? `sample line ${cursor}` : "";
    $("explain").textContent = answer.explain || "Put the cursor on a sample line.";
  }

  sample.on("changes", schedule);
  sample.on("cursorActivity", () => {
    markCurrent();
    schedule();
  });

  // --- the buttons ------------------------------------------------------------------------------

  function schemaName() {
    return loadedName || start.name;
  }

  function download(name, text) {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([text], { type: "text/yaml" }));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 1000);
  }

  function fileName() {
    return `${schemaName().split(".").pop()}.yml`;
  }

  $("infer").addEventListener("click", async () => {
    status("inferring a schema from the sample…");
    $("infer").disabled = true;
    try {
      const answer = await call("/api/infer", { sample: sample.getValue(), name: schemaName() });
      schema.setValue(answer.schema);
      const outliers = answer.outliers.map((o) => `line ${o.line}: ${o.why}: ${o.text}`);
      const head = `${answer.events} of ${answer.lines} sample lines become events.`;
      $("infer-why").textContent = [head, ...answer.explanation, ...(outliers.length ? ["", "Lines the schema does not take:", ...outliers] : [])].join("\n");
      $("infer-report").hidden = false;
    } catch (error) {
      status(`Infer: ${error.message}`, true);
    } finally {
      $("infer").disabled = false;
    }
  });

  $("download-schema").addEventListener("click", () => download(fileName(), schema.getValue()));

  $("download-tests").addEventListener("click", async () => {
    const file = fileName();
    try {
      const text = await call("/api/tests", { schema: schema.getValue(), sample: sample.getValue(), file });
      download(file.replace(/\.yml$/, ".tests.yml"), text);
    } catch (error) {
      status(`Download tests: ${error.message}`, true);
    }
  });

  // --- start ------------------------------------------------------------------------------------

  let start = { name: "Custom.Playground.App" };
  fetch("/api/start")
    .then((response) => response.json())
    .then((data) => {
      start = data;
      schema.setValue(data.schema);
      sample.setValue(data.sample);
      schedule();
    })
    .catch((error) => status(`cannot reach the server: ${error.message}`, true));

  window.playground = { schema, sample, refresh };
})();
