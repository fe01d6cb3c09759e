/* The reader's choice between the meeting's time and their own (``[data-time-zone]``, a fieldset the page renders
   hidden: without JavaScript the page cannot know the device's zone). Switching rewrites every time on the page at
   once and is remembered for every page (time.js). */
import { meetingTimeZone } from "./context.js";
import { t } from "./i18n.js";
import { chooseOwnTime, formatTimes, ownTimeChosen, readerTimeZone, zoneName } from "./time.js";

/** Keep a remembered choice of the reader's own time on their device's current zone (they may have travelled). */
export function keepOwnTimeCurrent() {
  const zone = readerTimeZone();
  if (!ownTimeChosen() || !zone) return;
  const remembered = document.cookie.split(";").map(function (part) { return part.trim(); })
    .find(function (part) { return part.indexOf("floorcast_tz=") === 0; });
  if ((remembered || "").slice("floorcast_tz=".length) !== zone) chooseOwnTime(true);
}

/** Start the choice: shown only when the device's zone is not the meeting's. */
export function mountZoneChoice(root) {
  const meeting = meetingTimeZone(), mine = readerTimeZone();
  if (!meeting || !mine || meeting === mine) return;
  const labels = {
    meeting: t("meeting time ({zone})", { zone: zoneName(meeting) }),
    mine: t("my time ({zone})", { zone: zoneName(mine) }),
  };
  root.querySelectorAll("input[type=radio]").forEach(function (input) {
    const label = input.closest("label");
    const text = label && label.querySelector("[data-zone-choice-label]");
    if (text) text.textContent = labels[input.value] || "";
    input.checked = (input.value === "mine") === ownTimeChosen();
    input.addEventListener("change", function () {
      if (!input.checked) return;
      chooseOwnTime(input.value === "mine");
      formatTimes(document);
    });
  });
  root.hidden = false;
}
