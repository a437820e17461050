// The local console's only script: the live log tail of a function page, and a confirmation
// before a redrive. Everything else is server-rendered HTML.
"use strict";

function startLogTail(pre) {
  const seen = new Set();
  let after = 0;
  const state = document.getElementById("tail-state");
  async function poll() {
    try {
      const response = await fetch(`${pre.dataset.source}?after=${after}`,
                                   {headers: {Accept: "application/json"}});
      const page = await response.json();
      for (const event of page.events) {
        if (seen.has(event.id)) continue;  // events of the last millisecond come again
        seen.add(event.id);
        const time = new Date(event.timestamp).toISOString().slice(11, 23);
        pre.append(`${time}  ${event.message.trimEnd()}\n`);
      }
      after = page.next;
      pre.dataset.lines = seen.size;
      state.textContent = `(live, ${seen.size} lines)`;
    } catch (error) {
      state.textContent = `(paused: ${error})`;
    }
    setTimeout(poll, 1000);
  }
  poll();
}

document.addEventListener("DOMContentLoaded", () => {
  const tail = document.getElementById("log-tail");
  if (tail) startLogTail(tail);
  for (const form of document.querySelectorAll("form.redrive")) {
    form.addEventListener("submit", (event) => {
      const button = form.querySelector("button");
      button.disabled = true;
      button.textContent = "Redriving…";
    });
  }
});
