// Upvote buttons update in place: the form posts in the background and the count follows.
// Without this script (or when it fails) the form posts normally and the page reloads.
"use strict";

document.addEventListener("submit", async (event) => {
  const form = event.target;
  if (!(form instanceof HTMLFormElement) || !form.hasAttribute("data-vote")) return;
  event.preventDefault();
  const button = form.querySelector("button");
  if (button.disabled) return;
  button.disabled = true;
  try {
    // getAttribute: the form's "action" field shadows the form.action property.
    const response = await fetch(form.getAttribute("action"), {
      method: "POST",
      body: new FormData(form),
      headers: { Accept: "application/json" },
      credentials: "same-origin",
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const state = await response.json();
    form.querySelector(".votes-count").textContent = String(state.upvotes);
    const word = form.querySelector(".votes-word");
    if (word) word.textContent = state.upvotes === 1 ? "upvote" : "upvotes";
    form.querySelector("input[name=action]").value = state.upvoted ? "remove" : "add";
    button.classList.toggle("voted", state.upvoted);
    button.setAttribute("aria-pressed", state.upvoted ? "true" : "false");
    button.title = state.upvoted ? "Remove your upvote" : "Upvote";
    const hidden = button.querySelector(".visually-hidden");
    if (hidden) {
      const action = state.upvoted ? "remove your upvote" : "upvote this paper";
      hidden.textContent = hidden.textContent.replace(/;.*$/, `; ${action}`);
    }
    button.disabled = false;
  } catch (error) {
    // Let the server answer with its own page (a 429, a signed-out session...).
    button.disabled = false;
    form.submit();
  }
});
