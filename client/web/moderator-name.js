/* The moderator's display name: several moderators may share one link, so each is asked for a name on first
   use. It is remembered in this browser and sent with the /moderate connection, and the logs name who did what.
   The server refuses every action of a /moderate connection without a name; such a refusal brings the reader
   back to this form. */

import { NAME_REQUIRED } from "./connection.js";
import { t } from "./i18n.js";

const KEY = "floorcast.moderator_name";

/** The remembered name, or "" (also when storage is unavailable). */
function storedName() {
  try {
    return window.localStorage.getItem(KEY) || "";
  } catch (err) {
    return "";
  }
}

/** Mount the name form (``#moderator-name``): prefill, send the name with every connection, reconnect on change. */
export function mountModeratorName(form, socket, connections) {
  const input = form.querySelector("input[name=name]");
  const status = form.querySelector("[data-name-status]");
  input.value = storedName();
  connections.addAuth("/moderate", function () { return { name: storedName() }; });
  function describe() {
    const name = storedName();
    // Forms the page posts (start and end the session) name their sender too.
    document.querySelectorAll("input[data-moderator-name]").forEach(function (field) { field.value = name; });
    status.textContent = name ? t("The log names you {name}.", { name: name })
      : t("Please give your name: the log records who did what.");
  }
  describe();
  if (!storedName()) input.focus();
  document.addEventListener(NAME_REQUIRED, function () {
    describe();
    form.scrollIntoView({ block: "nearest" });
    input.focus();
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    const name = input.value.trim();
    if (!name) return;
    try {
      window.localStorage.setItem(KEY, name);
    } catch (err) {
      return;
    }
    describe();
    if (socket.connected) {  // the connection carries the name from its handshake: open it again
      socket.disconnect();
      socket.connect();
    }
  });
}
