/* The page bootstrap: the one script every page loads (``<script type="module">``). It finds the panels the
   template rendered, opens one Socket.IO connection per namespace they use (/live, /moderate, /caption) and hands
   that same connection to each of them, then connects once every panel listens. It also writes the page's times
   in the zone the reader chose (the meeting's by default) and offers that choice. Nothing is put on ``window``; no
   panel depends on the order of others. */
import { mountCaptioner } from "./captioner.js";
import { mountCaptions } from "./captions.js";
import { Connections } from "./connection.js";
import { namespaceAuth, pageElement } from "./context.js";
import { mountFloorModerator } from "./floor-moderate.js";
import { mountFloorView } from "./floor-view.js";
import { mountFloor } from "./floor.js";
import { mountModeratorName } from "./moderator-name.js";
import { mountCopyButton, mountJoinForm, mountTranscriptEditor } from "./forms.js";
import { mountQuestionsModerator } from "./questions-moderate.js";
import { mountQuestionsScreen } from "./questions-view.js";
import { mountQuestions } from "./questions.js";
import { mountScreenChoice, mountScreenLayout } from "./screen-layout.js";
import { mountAgenda, mountModeratorSession, showSessionState } from "./session.js";
import { formatTimes } from "./time.js";
import { keepOwnTimeCurrent, mountZoneChoice } from "./zone-choice.js";

/**
 * Live panels: the selector of their root, the namespace they use (a view may name its own with
 * ``data-namespace``), and how to start them. The order does not matter: nothing connects until every panel
 * has started, so each one's handlers (and the captions' reconnection fields) are in place first.
 */
const LIVE_PANELS = [
  ["[data-captions]", "/live", function (root, socket, connections) {
    connections.addAuth("/live", mountCaptions(root, socket));
  }],
  ["[data-captioner]", "/caption", mountCaptioner],
  ["[data-floor=\"participant\"]", "/live", mountFloor],
  ["[data-floor=\"moderator\"]", "/moderate", mountFloorModerator],
  ["[data-floor=\"view\"]", null, mountFloorView],
  ["[data-questions=\"participant\"]", "/live", mountQuestions],
  ["[data-questions=\"moderator\"]", "/moderate", mountQuestionsModerator],
  ["[data-questions=\"screen\"]", "/live", mountQuestionsScreen],
  [".agenda[data-meeting]", "/live", mountAgenda],
  ["#life-form", "/moderate", mountModeratorSession],
  ["#moderator-name", "/moderate", mountModeratorName],
  ["#screen-layout", "/moderate", mountScreenChoice],
  ["main[data-show]", "/live", mountScreenLayout],
];

/** Run one panel's start: a broken panel must not take the others (or the connections) down. */
function safely(start) {
  try {
    start();
  } catch (err) {
    console.error(err);
  }
}

/** Start every live panel on the page with its namespace's one connection; then connect. */
function startLivePanels() {
  const connections = new Connections(showSessionState);
  const context = pageElement();
  LIVE_PANELS.forEach(function (entry) {
    const selector = entry[0], mount = entry[2];
    document.querySelectorAll(selector).forEach(function (root) {
      const namespace = entry[1] || root.dataset.namespace || "/live";
      // The namespace's payload comes from the page's own context (every panel of a page shares it).
      const socket = connections.get(namespace, namespaceAuth(namespace, context || root));
      safely(function () { mount(root, socket, connections); });
    });
  });
  connections.connectAll();
}

/** Start the plain HTTP forms on the page. */
function startForms() {
  const hub = document.getElementById("hub-fields");
  if (hub) safely(function () { mountJoinForm(hub); });
  document.querySelectorAll("button.copy").forEach(function (button) { safely(function () { mountCopyButton(button); }); });
  const edit = document.getElementById("edit-form");
  if (edit && document.getElementById("editor") && document.querySelector(".session-head")) {
    safely(function () { mountTranscriptEditor(edit); });
  }
}

safely(function () {
  keepOwnTimeCurrent();
  formatTimes(document);
  document.querySelectorAll("[data-time-zone]").forEach(mountZoneChoice);
});
startForms();
startLivePanels();
